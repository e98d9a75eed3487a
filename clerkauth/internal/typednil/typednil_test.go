package typednil

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

type nilTestStore interface{ Get(context.Context) error }

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
		nilIfc  nilTestStore
	)
	for name, tc := range map[string]struct {
		v    nilTestStore
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
		t.Run(name, func(t *testing.T) { assert.Equal(t, tc.want, IsNil(tc.v)) })
	}
	assert.False(t, IsNil(0))
	assert.True(t, IsNil([]int(nil)))
	assert.True(t, IsNil((chan int)(nil)))
}
