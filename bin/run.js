#!/usr/bin/env node
// The `dash` binary: runs the compiled oclif commands in dist/ (npm run build first).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
