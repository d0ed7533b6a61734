#!/usr/bin/env bash
# Make the working tree importable as ansible_collections.goldenimage.azure:
# .tmp/collections/ansible_collections/goldenimage/azure -> repository root.
set -euo pipefail

link=.tmp/collections/ansible_collections/goldenimage/azure
mkdir -p "$(dirname "$link")"
ln -sfn "$(pwd)" "$link"
