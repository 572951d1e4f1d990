package devenv_test

import (
	"bytes"
	"encoding/json"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func isAlreadyExists(err error) bool { return apierrors.IsAlreadyExists(err) }
