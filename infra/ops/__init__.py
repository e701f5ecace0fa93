"""Operations on stacks: plan diffs between git refs, PR comments, multi-stack runs, promotion."""
