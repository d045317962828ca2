package metrics

import "github.com/freshet/freshet/ml/internal/fsort"

// floatKey and sortKeys are ml/internal/fsort's radix sort, shared with
// ml/drift.
var (
	floatKey = fsort.Key
	sortKeys = fsort.Keys
)
