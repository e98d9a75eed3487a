package audit

import (
	"context"
	"errors"
	"fmt"
)

// MultiSink returns a sink that writes every record to each of sinks, in
// order, and returns the errors they returned joined with errors.Join (nil
// if none failed). A sink that panics does not stop the others: its panic
// becomes an error wrapping [ErrSinkPanic]. Nil sinks are skipped; the
// slice is copied. All sinks receive the same *Record and, per the [Sink]
// contract, must not modify it.
func MultiSink(sinks ...Sink) Sink {
	m := make(multiSink, 0, len(sinks))
	for _, s := range sinks {
		if s != nil {
			m = append(m, s)
		}
	}
	return m
}

type multiSink []Sink

func (m multiSink) Write(ctx context.Context, r *Record) error {
	var errs []error
	for _, s := range m {
		if err := writeRecovered(ctx, s, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func writeRecovered(ctx context.Context, s Sink, r *Record) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %v", ErrSinkPanic, v)
		}
	}()
	return s.Write(ctx, r)
}
