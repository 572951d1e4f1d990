package analysis

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// WebhookRequest is the JSON body POSTed to a webhook, once per target.
type WebhookRequest struct {
	// Name is the webhook's name from the settings.
	Name      string `json:"name"`
	Phase     Phase  `json:"phase"`
	Service   string `json:"service"`
	Namespace string `json:"namespace"`
	Version   string `json:"version,omitempty"`
	// Cluster is the Istio cluster ID of the cluster the version under
	// test runs in, when the topology tells its sides apart by cluster and
	// the ID is known (see Side.Cluster).
	Cluster string `json:"cluster,omitempty"`
	// Weight is the canary's current weight in percent: the weight just
	// analysed, before the next increase or before promotion.
	Weight   int               `json:"weight"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookResult records one webhook call.
type WebhookResult struct {
	Time     time.Time `json:"time"`
	Name     string    `json:"name"`
	Service  string    `json:"service"`
	Phase    Phase     `json:"phase"`
	Weight   int       `json:"weight"`
	Status   Status    `json:"status"`
	Code     int       `json:"code,omitempty"`
	Duration Duration  `json:"duration"`
	Reason   string    `json:"reason,omitempty"`
}

// ErrWebhookRefused is wrapped by the errors of webhooks that did not
// answer 2xx in time.
var ErrWebhookRefused = errors.New("webhook refused")

// callWebhook POSTs body to w and returns nil on a 2xx answer. Any other
// answer, a timeout or a transport failure is an error wrapping
// ErrWebhookRefused; the parent context's cancellation is returned as is.
// Errors name the webhook, never its URL, which may hold a token.
func callWebhook(ctx context.Context, client *http.Client, w Webhook, body WebhookRequest) (code int, err error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return 0, fmt.Errorf("encoding webhook %q request: %w", w.Name, err)
	}
	cctx, cancel := context.WithTimeout(ctx, w.Timeout.Duration)
	defer cancel()
	req, err := http.NewRequestWithContext(cctx, http.MethodPost, w.URL, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("calling webhook %q: %w: invalid URL", w.Name, ErrWebhookRefused)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "aviary-analysis")
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if cctx.Err() != nil {
			return 0, fmt.Errorf("calling webhook %q: %w: no answer within %v", w.Name, ErrWebhookRefused, w.Timeout.Duration)
		}
		return 0, fmt.Errorf("calling webhook %q: %w: %s", w.Name, ErrWebhookRefused, transportReason(err))
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		suffix := ""
		if t := cleanExcerpt(excerpt); t != "" {
			suffix = ": " + t
		}
		return resp.StatusCode, fmt.Errorf("calling webhook %q: %w: answered %d%s", w.Name, ErrWebhookRefused, resp.StatusCode, suffix)
	}
	return resp.StatusCode, nil
}

// transportReason describes a transport failure without the request URL,
// which *url.Error would quote.
func transportReason(err error) string {
	var uerr interface{ Unwrap() error }
	if errors.As(err, &uerr) {
		if inner := uerr.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return "request failed"
}

// cleanExcerpt keeps the first line of a response body, if it is text.
func cleanExcerpt(b []byte) string {
	if !utf8.Valid(b) {
		return ""
	}
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
