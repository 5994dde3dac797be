#!/usr/bin/env bash
# Downloads the plan that was reviewed on the pull request merged as <commit>, for <stack>, into <dir>.
# Fails when there is none: a deploy runs only what a reviewer saw.
set -euo pipefail
commit=${1:?usage: fetch-reviewed-plan.sh <commit> <stack> <dir>}
stack=${2:?usage: fetch-reviewed-plan.sh <commit> <stack> <dir>}
dir=${3:?usage: fetch-reviewed-plan.sh <commit> <stack> <dir>}

head_sha=$(gh api "repos/${GITHUB_REPOSITORY}/commits/${commit}/pulls" --jq '.[0].head.sha // empty')
if [ -z "$head_sha" ]; then
  echo "No pull request was merged as ${commit}: nothing was reviewed, so nothing is deployed." >&2
  exit 1
fi
run_id=$(gh run list --workflow plan.yml --commit "$head_sha" --status success --limit 1 --json databaseId --jq '.[0].databaseId // empty')
if [ -z "$run_id" ]; then
  echo "No successful plan run for the pull request head ${head_sha}." >&2
  exit 1
fi
mkdir -p "$dir"
gh run download "$run_id" --name "reviewed-plan-${stack}" --dir "$dir"
echo "reviewed plan of ${stack}: run ${run_id} (head ${head_sha})"
