#!/usr/bin/env bash
# The main job: set up pycompose on this machine and bring the quickstart project up.
# Usage (from the repository root, as root): bash examples/quickstart/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python3 -m pip install --quiet --disable-pip-version-check -e .
# Until the lifecycle commands land, the main job loads, validates and renders the project.
exec pycompose -f examples/quickstart/compose.yaml config
