package modelfile

import (
	"bytes"
	"fmt"
	"strconv"
)

// Format is the kind of a model file.
type Format int

// Formats Sniff recognises. Only LightGBMText and XGBoostJSON load; the
// others are recognised so that the error can say what to do instead.
const (
	Unknown Format = iota
	LightGBMText
	XGBoostJSON
	XGBoostUBJSON
	XGBoostBinary
)

// String returns a short name for the format.
func (f Format) String() string {
	switch f {
	case LightGBMText:
		return "lightgbm-text"
	case XGBoostJSON:
		return "xgboost-json"
	case XGBoostUBJSON:
		return "xgboost-ubjson"
	case XGBoostBinary:
		return "xgboost-binary"
	}
	return "unknown"
}

// Messages for the formats freshet recognises but refuses.
const (
	msgLegacyBinary = "legacy XGBoost binary model: save it with model.save_model('model.json') (JSON) and try again"
	msgUBJSON       = "XGBoost UBJSON model: save it with model.save_model('model.json') (JSON) and try again"
)

// sniffWindow is how much of the file the binary heuristics look at.
const sniffWindow = 4096

// Sniff tells what kind of model file b holds from its first bytes. For
// XGBoost UBJSON and legacy binary files it returns the format together with
// an error saying how to save the model as JSON; for anything it does not
// recognise it returns Unknown and an error. A nil error means Load can try
// the file; the full validation happens there.
func Sniff(b []byte) (Format, error) {
	if len(b) == 0 {
		return Unknown, invalidf("the file is empty")
	}
	head := b[:min(len(b), sniffWindow)]
	switch {
	case bytes.HasPrefix(b, []byte("binf")):
		return XGBoostBinary, unsupportedf(msgLegacyBinary)
	case len(b) >= 2 && b[0] == '{' && bytes.IndexByte([]byte("iUIlL$#"), b[1]) >= 0:
		// A JSON object continues with white space, '"' or '}'; a UBJSON
		// object with a type marker for its first key's length (XGBoost
		// writes 'L'), or '$'/'#' for an optimised container.
		return XGBoostUBJSON, unsupportedf(msgUBJSON)
	case bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		return Unknown, unsupportedf("the file is gzip-compressed: decompress it and try again")
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return Unknown, unsupportedf("the file is a zip archive: upload the model file inside it")
	case len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5:
		return Unknown, unsupportedf("the file is a Python pickle: save the model with model.save_model('model.json') (XGBoost) or booster.save_model('model.txt') (LightGBM) and try again")
	}
	if bytes.IndexByte(head, 0) >= 0 {
		// XGBoost before 1.0 wrote its binary format without the "binf"
		// magic: learner parameters, then the objective and booster names.
		for _, s := range []string{"gbtree", "gblinear", "dart", "binary:", "reg:", "multi:", "rank:", "count:", "survival:"} {
			if bytes.Contains(head, []byte(s)) {
				return XGBoostBinary, unsupportedf(msgLegacyBinary)
			}
		}
		return Unknown, unsupportedf("binary file of unknown kind (starts with %s): want LightGBM text (booster.save_model('model.txt')) or XGBoost JSON (model.save_model('model.json'))", quoteHead(b))
	}
	text := bytes.TrimLeft(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(text) > 0 && text[0] == '{' {
		if bytes.Contains(b, []byte(`"learner"`)) {
			return XGBoostJSON, nil
		}
		if bytes.Contains(head, []byte(`"tree_info"`)) {
			return Unknown, unsupportedf("LightGBM JSON dump (dump_model) is not a loadable model: save it with booster.save_model('model.txt') and try again")
		}
		return Unknown, unsupportedf(`JSON document without a "learner" object: not an XGBoost model (want model.save_model('model.json'))`)
	}
	first := text
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	first = bytes.TrimSpace(first)
	if bytes.Equal(first, []byte("tree")) || bytes.HasPrefix(first, []byte("version=")) {
		return LightGBMText, nil
	}
	return Unknown, unsupportedf("unrecognised model file (starts with %s): want LightGBM text (booster.save_model('model.txt')) or XGBoost JSON (model.save_model('model.json'))", quoteHead(b))
}

// quoteHead quotes the first bytes of b for an error message.
func quoteHead(b []byte) string {
	return strconv.QuoteToASCII(string(b[:min(len(b), 16)]))
}

var _ fmt.Stringer = Format(0)
