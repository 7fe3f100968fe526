// Golden submission for chapter 06: everything right except that Do's error is dropped: a nil-pointer panic when nothing listens or the deadline passes
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
	resp, _ := http.DefaultClient.Do(req) // the error "cannot happen"
	defer resp.Body.Close()               // nil pointer when it did
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, fmt.Errorf("fetch %s: status %s", url, resp.Status)
	}
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
