// Golden submission for chapter 06: the article's 'human refinement' as the shared GET (status != 200, io.LimitReader truncating silently); FetchAll and FetchItem as the model
//
// A part: the model solution (solutions/06_go_errors/fetch/fetch.go) with each
// function below in place of the model's function of the same name
// (tests/test_go_chapter.py, assemble).
// drop import "math"
package fetch

func get(ctx context.Context, url string, limit int64) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, nil, fmt.Errorf("status: %d", resp.StatusCode)
	}
	// The article's LimitReader, with the caller's limit: a longer body is cut silently.
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	return body, resp.Header, err
}
