// The course's harness for chapter 06 (trusted: graded runs use the course's copy, never a
// learner's). grader/golang builds it together with the learner's package fetch and runs
// it in a fresh process per request: one JSON request on stdin, one JSON response on
// file descriptor 3 (gradeproto), which the learner's package cannot reach because its
// imports are limited to an allow-list without os, syscall, unsafe or runtime.
//
// After answering, the process stays alive until its stdin is closed, so that the fault
// server can count the connections the learner's code left open while they still exist.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"time"
	"unicode/utf8"

	"gradeharness/fetch"
	"gradeharness/gradeproto"
)

type request struct {
	Op            string   `json:"op"`
	URL           string   `json:"url"`
	URLs          []string `json:"urls"`
	Limit         int64    `json:"limit"`
	Workers       int      `json:"workers"`
	TimeoutMS     int      `json:"timeout_ms"`      // 0: no deadline
	CancelAfterMS int      `json:"cancel_after_ms"` // 0: never cancelled
	Repeat        int      `json:"repeat"`          // calls in a row (default 1)
	SettleMS      int      `json:"settle_ms"`       // how long goroutines may take to end
}

type body struct {
	Len    int    `json:"len"`
	SHA256 string `json:"sha256"`
	Head   string `json:"head"` // the first bytes, for messages
}

// item is fetch.Item with the harness's own JSON names (the learner's tags may differ).
type item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type call struct {
	Op     string  `json:"op"`
	Error  string  `json:"error,omitempty"`
	Panic  string  `json:"panic,omitempty"`
	Body   *body   `json:"body,omitempty"`
	Bodies []*body `json:"bodies,omitempty"`
	Item   *item   `json:"item,omitempty"`
	Nil    bool    `json:"nil"` // the function returned a nil slice
	MS     float64 `json:"ms"`
}

type response struct {
	Calls            []call `json:"calls"`
	GoroutinesBefore int    `json:"goroutines_before"`
	GoroutinesAfter  int    `json:"goroutines_after"`
}

func describe(b []byte) *body {
	if b == nil {
		return nil
	}
	sum := sha256.Sum256(b)
	head := b[:min(len(b), 80)]
	for len(head) > 0 && !utf8.Valid(head) {
		head = head[:len(head)-1]
	}
	return &body{Len: len(b), SHA256: hex.EncodeToString(sum[:]), Head: string(head)}
}

func contextFor(req request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.Background(), context.CancelFunc(func() {})
	if req.TimeoutMS > 0 {
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.TimeoutMS)*time.Millisecond)
	}
	if req.CancelAfterMS > 0 {
		inner, innerCancel := context.WithCancel(ctx)
		timer := time.AfterFunc(time.Duration(req.CancelAfterMS)*time.Millisecond, innerCancel)
		outer := cancel
		ctx, cancel = inner, func() { timer.Stop(); innerCancel(); outer() }
	}
	return ctx, cancel
}

func one(req request) call {
	ctx, cancel := contextFor(req)
	defer cancel()
	c := call{Op: req.Op}
	start := time.Now()
	var result any
	result, c.Error, c.Panic = gradeproto.Call(func() (any, error) {
		switch req.Op {
		case "FetchData":
			return fetch.FetchData(ctx, req.URL, req.Limit)
		case "FetchAll":
			return fetch.FetchAll(ctx, req.URLs, req.Workers, req.Limit)
		default:
			return fetch.FetchItem(ctx, req.URL, req.Limit)
		}
	})
	c.MS = float64(time.Since(start).Microseconds()) / 1000
	switch v := result.(type) {
	case []byte:
		c.Body, c.Nil = describe(v), v == nil
	case [][]byte:
		c.Nil = v == nil
		for _, b := range v {
			c.Bodies = append(c.Bodies, describe(b))
		}
	case fetch.Item:
		if c.Error == "" {
			c.Item = &item{ID: v.ID, Name: v.Name}
		}
	}
	return c
}

func main() {
	var req request
	if err := gradeproto.ReadRequest(&req); err != nil {
		gradeproto.WriteResponse(map[string]string{"protocol_error": err.Error()})
		return
	}
	switch req.Op {
	case "FetchData", "FetchAll", "FetchItem":
	default:
		gradeproto.WriteResponse(map[string]string{"protocol_error": "unknown op " + req.Op})
		return
	}
	resp := response{GoroutinesBefore: gradeproto.Goroutines()}
	for i := 0; i < max(1, req.Repeat); i++ {
		resp.Calls = append(resp.Calls, one(req))
	}
	// Idle keep-alive connections of the shared transport are not leaks: close them, so
	// that what stays open (and the goroutines that serve it) is what the code leaked.
	http.DefaultClient.CloseIdleConnections()
	settle := time.Duration(max(req.SettleMS, 500)) * time.Millisecond
	resp.GoroutinesAfter = gradeproto.Settle(resp.GoroutinesBefore, settle)
	gradeproto.WriteResponse(resp)
	_, _ = io.Copy(io.Discard, os.Stdin) // stay alive until the grader has looked
}
