package catalog

import (
	"github.com/aviary-cd/aviary/pkg/step"
)

var (
	namespaceInput = step.Input{Name: "namespace", Description: "For a single-cluster topology, the namespace the release runs in instead of the plan's; other topologies take their namespaces from the plan.", Default: ""}
	timeoutInput   = step.Input{Name: "timeout", Description: "How long to wait for workloads to become ready.", Type: step.Duration, Default: "5m"}
	lockTTLInput   = step.Input{Name: "lock-ttl", Description: "How long a pipeline lock lives without renewal before another pipeline may take it.", Type: step.Duration, Default: "2m"}
	holderInput    = step.Input{Name: "holder", Description: "Name of this pipeline run, recorded in the lock; empty derives it from the CI run."}
	lockWaitInput  = step.Input{Name: "lock-wait", Description: "How long to wait for the lock another pipeline run holds, with a progress line now and then naming the holder; a lock left by a killed run frees itself once unrenewed for its lock-ttl, so a retry started at once takes it over. 0 fails at once.", Type: step.Duration, Default: "3m"}
)

// DeployCanary puts the plan's new versions beside the stable ones.
var DeployCanary = step.Definition{
	Name:        "deploy-canary",
	Description: "Deploy the plan's changed services on the topology's canary side (beside stable, or in the canary namespace) and route a first weight to them through Istio; on a blue/green, rebuild the side that does not serve and begin a stepped switch to it.",
	Leaves:      "The new versions' Deployments and the services' other objects may be applied with no route changed yet, or some services routed to their canary at the initial weight and others not; no route ever points at a Deployment that is not ready. The namespace lock is released, or expires after lock-ttl when the API server cannot be reached. A re-run applies what is missing and keeps the weight a service already has.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "initial-weight", Description: "Share of traffic, in percent (0-100), the canary starts with; unset takes the release config's canary.initialWeight, else 0.", Type: step.Int},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, verifyInputs...),
	Outputs: []step.Output{
		{Name: "changed", Description: "Services deployed as canaries, comma-separated."},
		{Name: "first-release", Description: "Services released for the first time straight to stable, comma-separated."},
		{Name: "weight", Description: "The canary weight now in effect."},
	},
}

// ShiftWeight moves the canary's share of traffic.
var ShiftWeight = step.Definition{
	Name:        "shift-weight",
	Description: "Move traffic to the canary step by step (on a blue/green topology, to the side a stepped switch rebuilt), gated by metric analysis; roll back on failure.",
	Leaves:      "Traffic stays at the last weight that was set, recorded on each service's route; with several services some may already be at the next weight. The namespace lock is released, or expires after lock-ttl. A re-run resumes the schedule at the lowest weight in effect.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "weight", Description: "Set the canary weight (0-100) in one move.", Type: step.Int},
		{Name: "steps", Description: "Weight schedule to walk, e.g. 5,10,25,50; a re-run resumes at the weight in effect. Without weight and steps, the release config's canary.steps.", Type: step.List},
		{Name: "pause", Description: "Pause between steps of the schedule; unset takes the release config's canary.pause, else 30s.", Type: step.Duration},
		lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, AnalysisInputs...),
	Outputs: []step.Output{
		{Name: "weight", Description: "The canary weight now in effect."},
	},
}

// Promote makes the canary the stable version.
var Promote = step.Definition{
	Name:        "promote",
	Description: "Make the new versions stable (rolled out on the stable side first, ready), send 100% to them, keep the previous version passive; on a blue/green topology, complete a stepped switch.",
	Leaves:      "Some services may be promoted and others still in canary, and a promoted service's previous version may not yet be scaled to passive-replicas. The namespace lock is released, or expires after lock-ttl. A re-run finishes every service and leaves the finished ones as they are.",
	Inputs: append([]step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		{Name: "passive-replicas", Description: "Replicas the previous version keeps for instant rollback.", Type: step.Int, Default: "1"},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, AnalysisInputs...),
	Outputs: []step.Output{
		{Name: "promoted", Description: "Services promoted, comma-separated."},
	},
}

// Rollback sends traffic back to the previous version.
var Rollback = step.Definition{
	Name:        "rollback",
	Description: "Send all traffic back to the stable (or, after promotion, the passive previous) version; on a blue/green topology, undo a stepped switch in progress or, once the switch is complete, switch back to the side kept passive.",
	Leaves:      "Some services may be back on their previous version and others not yet; no route ever points at a version that is not ready. The namespace lock is released, or expires after lock-ttl. A re-run sends the rest back.",
	Inputs: []step.Input{
		planInput, kubeconfigInput, contextInput, namespaceInput,
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	},
	Outputs: []step.Output{
		{Name: "rolled-back", Description: "Services rolled back, comma-separated."},
	},
}

// RebuildCluster rebuilds a passive cluster or namespace from a plan.
var RebuildCluster = step.Definition{
	Name:        "rebuild-cluster",
	Description: "Rebuild a passive cluster or namespace from a plan and switch roles (blue/green), at once or stepped; rebuild gateway-routed-clusters' release cluster in place.",
	Leaves:      "The passive side may be partly rebuilt, with the active one still serving all traffic: routes are switched only once every rebuilt Deployment is ready, and with several services some may already be switched (rebuilt in place: some services' stable subsets may already select the plan's version, every one of them ready). The lock (in the cluster holding the route) is released, or expires after lock-ttl. A re-run applies what is missing and switches the rest. With switch stepped, some services may have both sides on their route, the rebuilt one at the initial weight, and others not yet; a re-run begins the rest and keeps the weight in effect.",
	Inputs: append(append([]step.Input{
		planInput, kubeconfigInput, contextInput,
		{Name: "side", Description: "The passive side to rebuild: its target role (passive, active, stable), its cluster (kubeconfig context) or its namespace; for gateway-routed-clusters the release cluster (stable), rebuilt in place. Give this or namespace."},
		{Name: "namespace", Description: "Passive namespace to rebuild (blue-green-namespaces); the same as side."},
		{Name: "switch", Description: "How to switch roles once the rebuilt side is ready (and has passed its gate): true (all traffic at once), false (not at all), or stepped (the route gets both sides, the rebuilt one at initial-weight; shift-weight moves traffic to it, gated by the analysis, promote completes the switch, rollback undoes it).", Default: "true"},
		{Name: "initial-weight", Description: "With switch stepped, the rebuilt side's share of traffic in percent (0-100) to begin with; unset takes the release config's canary.initialWeight, else 0.", Type: step.Int},
		{Name: "passive-replicas", Description: "Where the release side is rebuilt in place (gateway-routed-clusters), replicas the version each service served before keeps for instant rollback.", Type: step.Int, Default: "1"},
		{Name: "analyze", Description: "Before switching, judge the rebuilt side on its metrics (canary.analysis, overridden by the analysis inputs), read by cluster where it is another cluster. It takes no user traffic yet: what reaches it (smoke tests, a load generator) is measured, and too little is inconclusive. Webhooks (the webhook input, canary.analysis.webhooks with phase switch) gate the switch without it.", Type: step.Bool},
		timeoutInput, lockTTLInput, holderInput, lockWaitInput,
		insecureInput, registryUsernameInput, registryPasswordInput, registryHostInput,
		requestTimeoutInput, stepTimeoutInput,
	}, verifyInputs...), AnalysisInputs...),
	Outputs: []step.Output{
		{Name: "active", Description: "The side now active: its namespace, or between clusters its cluster."},
		{Name: "passive", Description: "The side now passive: its namespace, or between clusters its cluster; empty where both serve (gateway-routed-clusters)."},
		{Name: "switching", Description: "With switch stepped, the side being switched to (passive until promote completes the switch); empty otherwise."},
		{Name: "gate", Description: "What the gate before the switch said: pass, fail, or empty when none ran."},
	},
}

// verifyInputs are the trust inputs of verify-artifacts, for the deploying
// steps' inline verification: when any is set, the step verifies the plan
// and every image in it before it touches a cluster, and exits 1 when they
// do not verify.
var verifyInputs = TrustInputs
