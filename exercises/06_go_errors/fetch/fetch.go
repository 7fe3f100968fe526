// Package fetch: the three functions of chapter 06. Edit this file, then run the
// notebook's check() cells; the grader builds it with the course's harness and runs each
// function against a local server that injects faults (grader/faults).
//
// Allowed imports: the standard library's bytes, context, errors, fmt, io, mime, net,
// net/http, net/url, strconv, strings, sync, sync/atomic, time, encoding/json, math,
// sort, slices, maps, unicode, unicode/utf8, log, bufio. (No os, no runtime, no unsafe:
// the grader's harness talks to the grader through a channel your package cannot reach.)
package fetch

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge is returned (wrapped) when a body is larger than the caller's limit.
var ErrTooLarge = errors.New("response body larger than the limit")

// FetchData returns the body of a GET of url, or an error.
//
//   - a status outside 200-299 is an error whose message names the status code;
//   - a body longer than limit bytes is an error wrapping ErrTooLarge: never a
//     truncated body returned as if it were complete (limit 0 allows only an empty body);
//   - ctx's deadline and cancellation are honoured, while connecting, while waiting for
//     the headers and while reading the body;
//   - the response body is closed on every path, so no connection is left open;
//   - a negative limit is an error.
func FetchData(ctx context.Context, url string, limit int64) ([]byte, error) {
	// The AI version, moved into this signature: every error is thrown away.
	resp, _ := http.Get(url)
	body, _ := io.ReadAll(resp.Body)
	return body, nil
}

// FetchAll fetches every url with FetchData and returns the bodies in the order of urls.
//
//   - at most workers requests are in flight at any moment (workers < 1 is an error);
//   - the first error cancels the requests still running and is returned; no more
//     requests are started after it;
//   - no goroutine started by the call is still running when it returns;
//   - no data race (it is graded under the race detector, with GOMAXPROCS 1, 2 and 8);
//   - an empty urls gives an empty result and no error.
func FetchAll(ctx context.Context, urls []string, workers int, limit int64) ([][]byte, error) {
	// The AI version: a goroutine per url, a semaphore, one unbuffered channel.
	type result struct {
		i    int
		body []byte
		err  error
	}
	out := make(chan result)
	sem := make(chan struct{}, workers)
	for i, u := range urls {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := FetchData(ctx, u, limit)
			out <- result{i, body, err}
		}()
	}
	bodies := make([][]byte, len(urls))
	for range urls {
		r := <-out
		if r.err != nil {
			return nil, r.err
		}
		bodies[r.i] = r.body
	}
	return bodies, nil
}

// Item is what FetchItem decodes.
type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// FetchItem GETs url (with FetchData and the limit given) and decodes one Item.
//
// The response must say Content-Type application/json (parameters such as charset are
// fine) and hold exactly one JSON object with an integer "id" and a non-empty string
// "name"; other fields are ignored. Anything else is an error that says what was wrong:
// a body that is not JSON, JSON null, an array, "id" missing or not an integer, "name"
// missing or empty, or anything after the object.
func FetchItem(ctx context.Context, url string, limit int64) (Item, error) {
	// The AI version: the decode error is thrown away, so bad JSON is a zero Item.
	body, _ := FetchData(ctx, url, limit)
	var item Item
	_ = json.Unmarshal(body, &item)
	return item, nil
}

