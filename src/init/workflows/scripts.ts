/**
 * The bash the generated steps run. Inputs reach them through the environment, never spliced into the
 * script (`${{ inputs.reason }}` in a `run:` would be script injection); arguments are built as arrays.
 */

/** Deploys $INPUT_VERSION, else the pushed tag, else the tag on HEAD (shipgate's default). */
export const DEPLOY_SCRIPT = `args=(deploy)
if [ -n "\${INPUT_VERSION:-}" ]; then args+=("$INPUT_VERSION")
elif [ "\${GITHUB_REF_TYPE:-}" = tag ]; then args+=("$GITHUB_REF_NAME"); fi
if [ -n "\${REASON:-}" ]; then args+=(--reason "$REASON"); fi
if [ "\${EMERGENCY:-false}" = true ]; then args+=(--emergency); fi
shipgate "\${args[@]}"
`;

/** A push to the branch has no tag: it deploys the latest tag's pre-release `-<branch>.<run number>`. */
export const STAGING_SCRIPT = `base="$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null || echo v0.0.0)"
shipgate deploy "$base-$GITHUB_REF_NAME.$GITHUB_RUN_NUMBER" --reason "push to $GITHUB_REF_NAME ($GITHUB_SHA)"
`;

/** Back to $TARGET_VERSION, or the previous release; a reason is required. */
export const ROLLBACK_SCRIPT = `if [ -z "\${REASON//[[:space:]]/}" ]; then echo "::error::a reason is required to roll back" >&2; exit 2; fi
args=(rollback --reason "$REASON")
if [ -n "\${TARGET_VERSION:-}" ]; then args+=(--to "$TARGET_VERSION"); fi
shipgate "\${args[@]}"
`;

/** Brings the pull request's preview up and hands its URL to the next steps. */
export const PREVIEW_UP_SCRIPT = `shipgate preview up --pr "$PR_NUMBER" --json > "$RUNNER_TEMP/preview.json"
url="$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url))' "$RUNNER_TEMP/preview.json")"
echo "url=$url" >> "$GITHUB_OUTPUT"
`;

/** One comment per pull request, edited on each push. */
export const PREVIEW_COMMENT_SCRIPT = `gh pr comment "$PR_NUMBER" --repo "$GITHUB_REPOSITORY" --edit-last --create-if-none --body "Preview of $HEAD_SHA: $PREVIEW_URL"
`;

export const PREVIEW_DOWN_SCRIPT = `shipgate preview down --pr "$PR_NUMBER"
`;
