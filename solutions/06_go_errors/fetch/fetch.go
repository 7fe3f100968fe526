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
	// BEGIN SOLUTION
	"fmt"
	"math"
	"mime"
	"strings"
	"sync"
	// END SOLUTION
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
	// BEGIN SOLUTION
	body, _, err := get(ctx, url, limit)
	return body, err
	// END SOLUTION
	// BEGIN STARTER
	// // The AI version, moved into this signature: every error is thrown away.
	// resp, _ := http.Get(url)
	// body, _ := io.ReadAll(resp.Body)
	// return body, nil
	// END STARTER
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
	// BEGIN SOLUTION
	if workers < 1 {
		return nil, fmt.Errorf("fetch all: workers %d: need at least 1", workers)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([][]byte, len(urls))
	jobs := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for w := 0; w < min(workers, len(urls)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body, err := FetchData(ctx, urls[i], limit)
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue // keep receiving until the feeder stops: nobody blocks
				}
				results[i] = body // each index is written by one goroutine only
			}
		}()
	}
feed:
	for i := range urls {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait() // every worker has returned: nothing outlives the call
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil && len(urls) > 0 {
		// The caller's context ended before every url was handed out.
		return nil, fmt.Errorf("fetch all: %w", err)
	}
	return results, nil
	// END SOLUTION
	// BEGIN STARTER
	// // The AI version: a goroutine per url, a semaphore, one unbuffered channel.
	// type result struct {
	// 	i    int
	// 	body []byte
	// 	err  error
	// }
	// out := make(chan result)
	// sem := make(chan struct{}, workers)
	// for i, u := range urls {
	// 	go func() {
	// 		sem <- struct{}{}
	// 		defer func() { <-sem }()
	// 		body, err := FetchData(ctx, u, limit)
	// 		out <- result{i, body, err}
	// 	}()
	// }
	// bodies := make([][]byte, len(urls))
	// for range urls {
	// 	r := <-out
	// 	if r.err != nil {
	// 		return nil, r.err
	// 	}
	// 	bodies[r.i] = r.body
	// }
	// return bodies, nil
	// END STARTER
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
	// BEGIN SOLUTION
	body, header, err := get(ctx, url, limit)
	if err != nil {
		return Item{}, err
	}
	contentType := header.Get("Content-Type")
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return Item{}, fmt.Errorf("fetch item %s: Content-Type %q, want application/json",
			url, contentType)
	}
	// Pointers tell "missing" from a zero value; Unmarshal of `null` into a struct is not
	// an error, so the object shape is checked before the fields. An int64 field refuses
	// 7.5 and "7" (a json.Number would take the string).
	var raw struct {
		ID   *int64  `json:"id"`
		Name *string `json:"name"`
	}
	trimmed := strings.TrimSpace(string(body))
	if !strings.HasPrefix(trimmed, "{") {
		return Item{}, fmt.Errorf("fetch item %s: the body is not a JSON object", url)
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	if err := dec.Decode(&raw); err != nil {
		return Item{}, fmt.Errorf("fetch item %s: invalid JSON: %w", url, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Item{}, fmt.Errorf("fetch item %s: data after the JSON object", url)
	}
	if raw.ID == nil {
		return Item{}, fmt.Errorf("fetch item %s: \"id\" is missing", url)
	}
	id := *raw.ID
	if id != int64(int(id)) {
		return Item{}, fmt.Errorf("fetch item %s: \"id\" %d does not fit an int", url, id)
	}
	if raw.Name == nil || *raw.Name == "" {
		return Item{}, fmt.Errorf("fetch item %s: \"name\" is missing or empty", url)
	}
	return Item{ID: int(id), Name: *raw.Name}, nil
	// END SOLUTION
	// BEGIN STARTER
	// // The AI version: the decode error is thrown away, so bad JSON is a zero Item.
	// body, _ := FetchData(ctx, url, limit)
	// var item Item
	// _ = json.Unmarshal(body, &item)
	// return item, nil
	// END STARTER
}

// BEGIN SOLUTION

// get is FetchData that also returns the response headers.
func get(ctx context.Context, url string, limit int64) ([]byte, http.Header, error) {
	if limit < 0 {
		return nil, nil, fmt.Errorf("fetch %s: limit %d is negative", url, limit)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, err)
	}
	// Closing an unread body makes the transport drop the connection instead of reusing
	// it: that is what we want after an error status or a body over the limit.
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, fmt.Errorf("fetch %s: status %s", url, resp.Status)
	}
	if resp.ContentLength > limit {
		return nil, nil, fmt.Errorf("fetch %s: %w: Content-Length %d > %d bytes",
			url, ErrTooLarge, resp.ContentLength, limit)
	}
	// Read one byte more than allowed: that byte tells a body over the limit from one
	// exactly at it. (limit+1 would overflow at MaxInt64.)
	readLimit := limit
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: reading the body: %w", url, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("fetch %s: %w: more than %d bytes", url, ErrTooLarge, limit)
	}
	return body, resp.Header, nil
}

// END SOLUTION
