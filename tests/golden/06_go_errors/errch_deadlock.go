// Golden submission for chapter 06: FetchAll with an error channel of capacity 1 and no cancellation: fine with one failure, hangs with two, and never stops the other requests
//
// A part: the model solution (solutions/06_go_errors/fetch/fetch.go) with each
// function below in place of the model's function of the same name
// (tests/test_go_chapter.py, assemble).
package fetch

func FetchAll(ctx context.Context, urls []string, workers int, limit int64) ([][]byte, error) {
	if workers < 1 {
		return nil, fmt.Errorf("workers %d", workers)
	}
	bodies := make([][]byte, len(urls))
	errCh := make(chan error, 1) // room for one error: a second failure blocks forever
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			body, err := FetchData(ctx, u, limit)
			if err != nil {
				errCh <- err
				return
			}
			bodies[i] = body
		}()
	}
	wg.Wait()
	close(errCh)
	if err := <-errCh; err != nil {
		return nil, err
	}
	return bodies, nil
}
