// Golden submission for chapter 06: a typical first edit that does not compile (a
// two-value call used as one value, an unused variable).
package fetch

import (
	"context"
	"errors"
	"io"
	"net/http"
)

var ErrTooLarge = errors.New("response body larger than the limit")

type Item struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func FetchData(ctx context.Context, url string, limit int64) ([]byte, error) {
	resp := http.Get(url)
	body, err := io.ReadAll(resp.Body)
	return body, nil
}

func FetchAll(ctx context.Context, urls []string, workers int, limit int64) ([][]byte, error) {
	return nil, errors.New("todo")
}

func FetchItem(ctx context.Context, url string, limit int64) (Item, error) {
	return Item{}, errors.New("todo")
}
