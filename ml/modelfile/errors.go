package modelfile

import (
	"fmt"

	"github.com/freshet/freshet/ml"
)

// invalidf reports a malformed or hostile model file. The message is safe to
// show to the user who uploaded the file.
func invalidf(format string, args ...any) error {
	return ml.Errorf(ml.EINVALID, "model file: "+format, args...)
}

// unsupportedf reports a well-formed model that freshet cannot serve.
func unsupportedf(format string, args ...any) error {
	return ml.Errorf(ml.EUNSUPPORTEDFMT, "model file: "+format, args...)
}

// tooLargef reports a model beyond a Limits bound.
func tooLargef(format string, args ...any) error {
	return ml.Errorf(ml.ETOOLARGE, "model file: "+format, args...)
}

// treeErrorf reports a problem in one tree; line is the 1-based line of the
// tree's first line in a text file, or 0 when there is no line to point at.
func treeErrorf(tree, line int, format string, args ...any) error {
	where := fmt.Sprintf("tree %d", tree)
	if line > 0 {
		where += fmt.Sprintf(" (line %d)", line)
	}
	return invalidf(where+": "+format, args...)
}
