package analysis

import "github.com/aviary-cd/aviary/pkg/config"

// The analysis settings are the release config's (canary.analysis): package
// config defines, defaults and validates them, and this package measures
// and judges by them. These names keep the analysis API readable on its own.
type (
	Spec             = config.Analysis
	StableComparison = config.StableComparison
	Metric           = config.Metric
	Tolerance        = config.Tolerance
	Webhook          = config.Webhook
	GuardSpec        = config.Guard
	Policy           = config.Policy
	Phase            = config.Phase
	Duration         = config.Duration
	Problem          = config.Problem
	// TemplateData is what a custom metric's query template sees.
	TemplateData = config.QueryData
)

// The policies, phases and defaults of the settings.
const (
	Hold           = config.Hold
	Fail           = config.Fail
	Ignore         = config.Ignore
	PhaseStep      = config.PhaseStep
	PhasePromotion = config.PhasePromotion
	PhaseSwitch    = config.PhaseSwitch

	DefaultInterval       = config.DefaultInterval
	DefaultMeasurements   = config.DefaultMeasurements
	DefaultFailureLimit   = config.DefaultFailureLimit
	DefaultMinRequests    = config.DefaultMinRequests
	DefaultSuccessRate    = config.DefaultSuccessRate
	DefaultMaxP99Ms       = config.DefaultMaxP99Ms
	DefaultSuccessDrop    = config.DefaultSuccessDrop
	DefaultP99Ratio       = config.DefaultP99Ratio
	DefaultWebhookTimeout = config.DefaultWebhookTimeout
)

// The built-in metrics' names, as they appear in results and reports.
const (
	MetricRequests    = config.MetricRequests
	MetricSuccessRate = config.MetricSuccessRate
	MetricP99Latency  = config.MetricP99Latency
)
