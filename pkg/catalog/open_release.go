package catalog

import "github.com/aviary-cd/aviary/pkg/step"

// OpenRelease computes the next version and opens the release branch.
var OpenRelease = step.Definition{
	Name:        "open-release",
	Description: "Compute the next semver version from git and open the release branch.",
	Leaves:      "The release branch may exist in the local repository without having been pushed. A re-run finds it there and pushes it.",
	Inputs: []step.Input{
		{Name: "repo-path", Description: "Path of the git repository.", Default: "."},
		{Name: "bump", Description: "major, minor, patch, prerelease, or auto (from Conventional Commits since the last release); empty means auto."},
		{Name: "version", Description: "Explicit version to open instead of computing one (semver, optional leading v)."},
		{Name: "base", Description: "Base branch the release branch starts from.", Default: "main"},
		{Name: "branch-pattern", Description: "Release branch name; X.Y.Z is replaced by the version.", Default: "release/X.Y.Z"},
		{Name: "push", Description: "Push the release branch to the remote.", Type: step.Bool, Default: "false"},
		{Name: "remote", Description: "Remote to push to: a configured remote's name, a URL or a path.", Default: "origin"},
		{Name: "token", Description: "Token for pushing over HTTPS, sent as the password of user x-access-token; never sent over plain HTTP.", Secret: true},
		{Name: "ssh-key-file", Description: "Private key file for an ssh remote; empty uses the agent at SSH_AUTH_SOCK."},
	},
	Outputs: []step.Output{
		{Name: "version", Description: "The release version."},
		{Name: "previous-version", Description: "The latest release before this one, empty for the first."},
		{Name: "branch", Description: "The release branch name."},
		{Name: "commit", Description: "The commit the release branch points at."},
	},
}
