package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDeploymentReadiness(t *testing.T) {
	three := int32(3)
	zero := int32(0)
	d := func(gen, observed int64, replicas *int32, st appsv1.DeploymentStatus) *appsv1.Deployment {
		st.ObservedGeneration = observed
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "cart", Generation: gen}, Spec: appsv1.DeploymentSpec{Replicas: replicas}, Status: st}
	}
	tests := []struct {
		name   string
		d      *appsv1.Deployment
		done   bool
		failed bool
		ready  int32
	}{
		{"all ready", d(2, 2, &three, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), true, false, 3},
		{"two of three", d(2, 2, &three, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}), false, false, 2},
		{"old spec observed", d(3, 2, &three, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3}), false, false, 3},
		{"old pods still there", d(2, 2, &three, appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 3, AvailableReplicas: 4}), false, false, 3},
		{"scaled to zero", d(1, 1, &zero, appsv1.DeploymentStatus{}), true, false, 0},
		{"nil replicas means one", d(1, 1, nil, appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, AvailableReplicas: 1}), true, false, 1},
		{"progress deadline exceeded", d(1, 1, &three, appsv1.DeploymentStatus{Replicas: 3, UpdatedReplicas: 3, Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded", Message: `ReplicaSet "cart-x" has timed out progressing.`},
		}}), false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DeploymentReadiness(tt.d)
			if got.Done != tt.done || got.Failed != tt.failed || got.Ready != tt.ready {
				t.Errorf("DeploymentReadiness = %+v, want done=%v failed=%v ready=%d", got, tt.done, tt.failed, tt.ready)
			}
		})
	}
	if got, want := (Readiness{Name: "cart-v1", Want: 3, Ready: 2}).String(), "cart-v1 2/3 ready"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
