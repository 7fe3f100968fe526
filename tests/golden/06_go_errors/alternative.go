// A correct fetch.go written differently from the model: http.MaxBytesReader for the
// limit, a semaphore acquired before each goroutine starts, json.RawMessage for the item.
package fetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

var ErrTooLarge = errors.New("response body larger than the limit")

type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func do(ctx context.Context, url string, limit int64) ([]byte, string, error) {
	if limit < 0 {
		return nil, "", errors.New("negative limit")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return nil, "", fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, resp.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, "", fmt.Errorf("GET %s: %w (%d bytes)", url, ErrTooLarge, limit)
	}
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", url, err)
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func FetchData(ctx context.Context, url string, limit int64) ([]byte, error) {
	body, _, err := do(ctx, url, limit)
	return body, err
}

func FetchAll(ctx context.Context, urls []string, workers int, limit int64) ([][]byte, error) {
	if workers <= 0 {
		return nil, errors.New("workers must be positive")
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	out := make([][]byte, len(urls))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
loop:
	for i, u := range urls {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		if ctx.Err() != nil {
			<-sem
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b, err := FetchData(ctx, u, limit)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
					cancel(err)
				}
				return
			}
			out[i] = b
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	return out, nil
}

func FetchItem(ctx context.Context, url string, limit int64) (Item, error) {
	body, ctype, err := do(ctx, url, limit)
	if err != nil {
		return Item{}, err
	}
	if mt, _, _ := strings.Cut(ctype, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
		return Item{}, fmt.Errorf("not JSON: %s", ctype)
	}
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil {
		return Item{}, fmt.Errorf("bad JSON: %w", err)
	}
	if fields == nil {
		return Item{}, errors.New("JSON null, not an object")
	}
	if dec.More() {
		return Item{}, errors.New("trailing data after the object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Item{}, errors.New("trailing data after the object")
	}
	var it Item
	idRaw, ok := fields["id"]
	if !ok {
		return Item{}, errors.New("no id")
	}
	if err := json.Unmarshal(idRaw, &it.ID); err != nil {
		return Item{}, fmt.Errorf("id: %w", err)
	}
	nameRaw, ok := fields["name"]
	if !ok {
		return Item{}, errors.New("no name")
	}
	if err := json.Unmarshal(nameRaw, &it.Name); err != nil || it.Name == "" {
		return Item{}, errors.New("name missing or empty")
	}
	return it, nil
}
