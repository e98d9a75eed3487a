package nilcheck_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unioneyes/authkit/internal/nilcheck"
)

type store interface{ Get(context.Context) error }

type ptrStore struct{}

func (*ptrStore) Get(context.Context) error { return nil }

type funcStore func(context.Context) error

func (f funcStore) Get(ctx context.Context) error { return f(ctx) }

type mapStore map[string]string

func (mapStore) Get(context.Context) error { return nil }

type valueStore struct{}

func (valueStore) Get(context.Context) error { return nil }

func TestIsNil(t *testing.T) {
	var (
		nilPtr  *ptrStore
		nilFunc funcStore
		nilMap  mapStore
		nilIfc  store
	)
	for name, tc := range map[string]struct {
		v    store
		want bool
	}{
		"nil interface":       {nil, true},
		"typed nil pointer":   {nilPtr, true},
		"typed nil func":      {nilFunc, true},
		"typed nil map":       {nilMap, true},
		"nil interface value": {nilIfc, true},
		"pointer":             {&ptrStore{}, false},
		"func":                {funcStore(func(context.Context) error { return nil }), false},
		"empty map":           {mapStore{}, false},
		"struct value":        {valueStore{}, false},
	} {
		t.Run(name, func(t *testing.T) { assert.Equal(t, tc.want, nilcheck.IsNil(tc.v)) })
	}
	assert.False(t, nilcheck.IsNil(0))
	assert.True(t, nilcheck.IsNil([]int(nil)))
	assert.True(t, nilcheck.IsNil((chan int)(nil)))
}
