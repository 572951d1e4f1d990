package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/stall"
)

func TestClassify(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	tests := []struct {
		name string
		err  error
		want outcome.Kind
	}{
		{"invalid object", apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "cart", nil), outcome.KindInvalid},
		{"bad request", apierrors.NewBadRequest("nope"), outcome.KindInvalid},
		{"forbidden", apierrors.NewForbidden(gr, "cart", errors.New("no")), outcome.KindExternal},
		{"server down", apierrors.NewServiceUnavailable("down"), outcome.KindExternal},
		{"already classified", outcome.Negativef("refused"), outcome.KindNegative},
		{"canceled", context.Canceled, outcome.KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Classify(tt.err, "applying %s", "cart")
			if got := outcome.KindOf(err); got != tt.want {
				t.Errorf("KindOf(Classify(%v)) = %v, want %v", tt.err, got, tt.want)
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("Classify(%v) lost its cause", tt.err)
			}
		})
	}
	if Classify(nil, "x") != nil {
		t.Error("Classify(nil) != nil")
	}
}

func TestIsTransient(t *testing.T) {
	gr := schema.GroupResource{Resource: "leases"}
	cutOff := fmt.Errorf("unexpected error when reading response body. Please retry. Original error: %w", io.ErrUnexpectedEOF) // client-go's words
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	stalled := &stall.Error{Op: "read", Addr: "127.0.0.1:6443", After: time.Second}
	for _, err := range []error{apierrors.NewServerTimeout(gr, "get", 1), apierrors.NewTooManyRequests("busy", 1), apierrors.NewInternalError(errors.New("x")),
		apierrors.NewServiceUnavailable("x"), cutOff, fmt.Errorf("probing: %w", reset), stalled} {
		if !IsTransient(err) {
			t.Errorf("IsTransient(%v) = false, want true", err)
		}
	}
	for _, err := range []error{nil, apierrors.NewNotFound(gr, "x"), apierrors.NewConflict(gr, "x", nil), fmt.Errorf("plain")} {
		if IsTransient(err) {
			t.Errorf("IsTransient(%v) = true, want false", err)
		}
	}
}
