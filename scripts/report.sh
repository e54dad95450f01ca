#!/usr/bin/env bash
# Build the Markdown report and plots from result folders:  scripts/report.sh outputs/eval outputs/eval/results.md
source "$(dirname "$0")/_lib.sh"
step "build report"
python3 -m reporting.results build "${1:-outputs/eval}" --out "${2:-outputs/eval/results.md}" --title "${TITLE:-Evaluation results}"
