// Golden submission for chapter 06: right answers, but an error status returns before `defer resp.Body.Close()`: one connection left open per failed call
//
// A part: the model solution (solutions/06_go_errors/fetch/fetch.go) with each
// function below in place of the model's function of the same name
// (tests/test_go_chapter.py, assemble).
package fetch

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
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// returns before the defer below: this body is never closed
		return nil, nil, fmt.Errorf("fetch %s: status %s", url, resp.Status)
	}
	defer resp.Body.Close()
	if resp.ContentLength > limit {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, ErrTooLarge)
	}
	readLimit := limit
	if readLimit < math.MaxInt64 {
		readLimit++
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	if err != nil {
		return nil, nil, fmt.Errorf("fetch %s: reading the body: %w", url, err)
	}
	if int64(len(body)) > limit {
		return nil, nil, fmt.Errorf("fetch %s: %w", url, ErrTooLarge)
	}
	return body, resp.Header, nil
}
