// Package gradeproto is the course's side of the grading protocol: one JSON request on
// stdin, one JSON response on file descriptor 3.
//
// Every harness (package main, written by the course) imports it as
// "gradeharness/gradeproto"; grader/golang copies this file into each build. The
// learner's package may not import it (nor os, syscall, unsafe, ...), so only the
// harness can write the response: whatever the learner prints goes to stdout or
// stderr, which the grader reads separately and never parses as an answer.
package gradeproto

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

// responseFD is the pipe the grader passes to the harness for the response.
const responseFD = 3

// ReadRequest decodes the one JSON request from stdin into v.
func ReadRequest(v any) error {
	return json.NewDecoder(os.Stdin).Decode(v)
}

// WriteResponse writes v as JSON on file descriptor 3 and closes it, so the grader
// sees the answer end even while goroutines the learner started keep running. A value
// that cannot be encoded (a NaN, a channel) is answered with {"protocol_error": ...}
// instead, so the grader learns why rather than seeing no answer at all.
func WriteResponse(v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data, _ = json.Marshal(map[string]string{"protocol_error": err.Error()})
	}
	f := os.NewFile(responseFD, "gradeproto-response")
	if f == nil {
		fmt.Fprintln(os.Stderr, "gradeproto: file descriptor 3 is not open")
		return
	}
	if _, err := f.Write(data); err != nil {
		fmt.Fprintln(os.Stderr, "gradeproto: writing the response:", err)
	}
	f.Close()
}

// Goroutines is the number of goroutines now; take it before a call as Settle's baseline.
func Goroutines() int {
	return runtime.NumGoroutine()
}

// Settle waits until at most baseline goroutines remain or within has passed, and
// returns the count then. Goroutines a call starts may need a moment to finish after it
// returns; those still running after within are the ones it leaked.
func Settle(baseline int, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		n := runtime.NumGoroutine()
		if n <= baseline || !time.Now().Before(deadline) {
			return n
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Call runs fn on the calling goroutine and reports what happened: its result, its
// error's text ("" for nil), or the text of a panic it raised (with the learner's file
// and line when the stack shows one), so one misbehaving call becomes a report instead
// of a crash. A panic on another goroutine cannot be recovered here; it ends the
// process and the grader reads it from stderr.
func Call(fn func() (any, error)) (result any, errText string, panicText string) {
	defer func() {
		if r := recover(); r != nil {
			result, errText = nil, ""
			panicText = fmt.Sprint(r)
			if where := learnerFrame(); where != "" {
				panicText += " (" + where + ")"
			}
		}
	}()
	result, err := fn()
	if err != nil {
		errText = err.Error() // inside the deferred recover: a panicking Error() is reported too
	}
	return result, errText, ""
}

// learnerFrame is "file.go:line" of the innermost frame in a package of the build
// other than the harness and this one; "" when there is none. Builds use -trimpath,
// so files are named "gradeharness/<package>/<file>.go".
func learnerFrame() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		frame, more := frames.Next()
		rest, ok := strings.CutPrefix(frame.File, "gradeharness/")
		if ok && strings.Contains(rest, "/") && !strings.HasPrefix(rest, "gradeproto/") {
			return fmt.Sprintf("%s:%d", rest[strings.LastIndex(rest, "/")+1:], frame.Line)
		}
		if !more {
			return ""
		}
	}
}
