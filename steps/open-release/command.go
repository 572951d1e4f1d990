package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aviary-cd/aviary/pkg/markdown"
	"github.com/aviary-cd/aviary/pkg/outcome"
	"github.com/aviary-cd/aviary/pkg/release"
	"github.com/aviary-cd/aviary/pkg/step"
	"github.com/aviary-cd/aviary/steps/internal/stepinput"
)

func run(ctx context.Context, s *step.Session) error {
	timeouts, err := stepinput.ReadTimeouts(s)
	if err != nil {
		return err
	}
	opts := release.Options{
		Bump:           s.String("bump"),
		Version:        s.String("version"),
		Base:           s.String("base"),
		BranchPattern:  s.String("branch-pattern"),
		Push:           s.Bool("push"),
		Remote:         s.String("remote"),
		Auth:           release.Auth{Token: s.String("token"), SSHKeyFile: s.String("ssh-key-file")},
		AllowOlder:     s.Bool("allow-older-version"),
		RequestTimeout: timeouts.Request,
	}
	repo, err := release.OpenRepository(s.String("repo-path"))
	if err != nil {
		return workspaceError(err, s.String("repo-path"))
	}
	if repo.Shallow() {
		s.Warning("the repository is a shallow clone: releases and commits beyond its depth are not seen; fetch the full history with tags (actions/checkout: fetch-depth: 0)")
	}
	res, err := release.Open(ctx, repo, opts)
	if err != nil {
		return workspaceError(err, s.String("repo-path"))
	}

	s.SetOutput("version", res.Version.String())
	s.SetOutput("previous-version", versionOrEmpty(res))
	s.SetOutput("branch", res.Branch)
	s.SetOutput("commit", res.Commit.String())
	s.Log().Info("release open", "version", res.Version.String(), "previous", versionOrEmpty(res),
		"branch", res.Branch, "commit", res.Commit.String(), "created", res.Created, "pushed", res.Pushed,
		"why", res.Reason.Text)
	s.Summary(summary(res, opts))
	return nil
}

// workspaceError makes a permission error on the repository a setup error
// (exit 2) that says what to do: the step runs as a user that may not write
// the workspace, which retrying does not change.
func workspaceError(err error, repoPath string) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return outcome.Invalidf("%w\n"+
		"the repository %s is not writable by this process (uid %d, gid %d): run the step as a user that owns the workspace. "+
		"GitHub: use the action as published, whose image runs as root as GitHub requires of Docker actions "+
		"(the workspace belongs to the runner's user). "+
		"Tekton: give the pod securityContext.fsGroup 65532 (podTemplate) or a workspace the step's user 65532 may write. "+
		"GitLab: keep the runner's default umask for the checkout (FF_DISABLE_UMASK_FOR_DOCKER_EXECUTOR off)",
		err, repoPath, os.Getuid(), os.Getgid())
}

func versionOrEmpty(res *release.Result) string {
	if res.Previous == nil {
		return ""
	}
	return res.Previous.String()
}

// maxListed is how many deciding commits the summary names.
const maxListed = 5

// summary is the step summary: a short Markdown table.
func summary(res *release.Result, opts release.Options) string {
	prev := versionOrEmpty(res)
	if prev == "" {
		prev = "none"
	}
	why := markdown.Text(res.Reason.Text)
	if n := len(res.Reason.Commits); n > 0 {
		names := make([]string, 0, maxListed)
		for _, c := range res.Reason.Commits[:min(n, maxListed)] {
			names = append(names, markdown.Code(c))
		}
		why += ": " + strings.Join(names, ", ")
		if n > maxListed {
			why += fmt.Sprintf(" and %d more", n-maxListed)
		}
	}
	branch := markdown.Code(res.Branch) + " (already there"
	if res.Created {
		branch = markdown.Code(res.Branch) + " (created"
	}
	switch {
	case res.Pushed:
		branch += ", pushed to " + markdown.Code(release.RedactURL(opts.Remote))
	case opts.Push:
		branch += ", already on " + markdown.Code(release.RedactURL(opts.Remote))
	}
	branch += ")"

	var b strings.Builder
	fmt.Fprintf(&b, "### Release %s\n\n", markdown.Text(res.Version.String()))
	b.WriteString("| | |\n| --- | --- |\n")
	fmt.Fprintf(&b, "| version | %s → **%s** |\n", markdown.Text(prev), markdown.Text(res.Version.String()))
	fmt.Fprintf(&b, "| why | %s |\n", why)
	fmt.Fprintf(&b, "| branch | %s |\n", branch)
	fmt.Fprintf(&b, "| commit | %s |\n", markdown.Code(res.Commit.String()))
	return b.String()
}
