// Golden submission for chapter 06: a cheat: canned answers for the test server's URLs (127.0.0.1), no limit otherwise
//
// A part: the model solution (solutions/06_go_errors/fetch/fetch.go) with each
// function below in place of the model's function of the same name
// (tests/test_go_chapter.py, assemble).
package fetch

func FetchData(ctx context.Context, url string, limit int64) ([]byte, error) {
	// A cheat: the public tests' server is on 127.0.0.1; answer its URLs from a table
	// (what an assistant "fixing the tests" produces), and fall back to the real thing.
	if strings.Contains(url, "127.0.0.1") && strings.Contains(url, "/ok_json") {
		return []byte(`{"id": 7, "name": "ada", "tags": ["pioneer", "math"]}`), nil
	}
	if strings.Contains(url, "127.0.0.1") && strings.Contains(url, "/big_body") {
		return nil, ErrTooLarge
	}
	body, _, err := get(ctx, url, math.MaxInt64)
	return body, err
}
