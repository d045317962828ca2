package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// readUpload reads the "file" part of a multipart form, bounded by
// MaxBody.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request) (name string, data []byte, err error) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, ml.Errorf(ml.EINVALID, "send the file as multipart/form-data")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return "", nil, ml.Errorf(ml.EINVALID, "choose a CSV file to upload")
		}
		if err != nil {
			return "", nil, normalize(err)
		}
		if p.FormName() != "file" {
			continue
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return "", nil, normalize(err)
		}
		if len(data) == 0 {
			return "", nil, ml.Errorf(ml.EINVALID, "the file %q is empty", p.FileName())
		}
		return filepath.Base(p.FileName()), data, nil
	}
}

// flashFor turns an input error into a flash with its issues.
func flashFor(err error) *web.Flash {
	var ie *ml.InputError
	if errors.As(err, &ie) {
		return &web.Flash{Kind: "bad", Text: "The file was rejected and nothing was stored:", Issues: ie.Issues}
	}
	return &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)}
}

// userFacing reports whether err is the user's to fix (shown on the form)
// rather than ours (an error page).
func userFacing(err error) bool {
	switch ml.ErrorCode(normalize(err)) {
	case ml.EINVALID, ml.EUNPROCESSABLE, ml.ECONFLICT, ml.ETOOLARGE, ml.ENOTFOUND:
		return true
	}
	return false
}

func (s *Server) handleNewModelView(w http.ResponseWriter, r *http.Request) error {
	render(w, r, http.StatusOK, web.NewModelPage(web.UploadView{Nav: navFor(r, "models", "New model")}))
	return nil
}

func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	v := web.UploadView{Nav: navFor(r, "models", "New model")}
	name, data, err := s.readUpload(w, r)
	if err == nil {
		_, err = ingest.InferSchema(bytes.NewReader(data), 0)
	}
	if err != nil {
		if !userFacing(err) {
			return err
		}
		v.Flash = flashFor(normalize(err))
		render(w, r, statusOf(ml.ErrorCode(normalize(err))), web.NewModelPage(v))
		return nil
	}
	id, err := s.DB.SaveUpload(r.Context(), principalFrom(r.Context()).User.ID, name, data)
	if err != nil {
		return err
	}
	redirect(w, r, "/models/new/"+id)
	return nil
}

var nonName = regexp.MustCompile(`[^a-z0-9_.-]+`)

// suggestName turns a file name into a model name.
func suggestName(file string) string {
	n := strings.ToLower(strings.TrimSuffix(file, filepath.Ext(file)))
	n = strings.Trim(nonName.ReplaceAllString(n, "-"), "-_.")
	if len(n) > 63 {
		n = n[:63]
	}
	if n == "" {
		n = "model"
	}
	return n
}

// uploadView infers the schema of an upload and proposes roles.
func (s *Server) uploadView(r *http.Request, id string) (web.UploadView, []byte, error) {
	v := web.UploadView{Nav: navFor(r, "models", "New model"), UploadID: id, Task: "binary"}
	name, data, err := s.DB.FindUpload(r.Context(), principalFrom(r.Context()).User.ID, id)
	if err != nil {
		return v, nil, err
	}
	inf, err := ingest.InferSchema(bytes.NewReader(data), 8)
	if err != nil {
		return v, nil, err
	}
	v.FileName, v.Name, v.Rows, v.Preview = name, suggestName(name), inf.Rows, inf.Preview
	for _, c := range inf.Columns {
		uc := web.UploadColumn{Name: c.Name, Role: string(c.Type), Distinct: c.Distinct, Missing: c.Missing}
		switch c.Name {
		case inf.Label:
			uc.Role = "label"
		case inf.Time:
			uc.Role = "time"
		case inf.Entity:
			uc.Role = "entity"
		}
		if c.Type == ml.Numeric && !math.IsNaN(c.Min) {
			uc.Summary = fmt.Sprintf("%s .. %s", fmtNum(c.Min), fmtNum(c.Max))
		} else {
			uc.Summary = strings.Join(c.Examples, ", ")
		}
		if c.DistinctCapped {
			uc.Summary += " …"
		}
		v.Columns = append(v.Columns, uc)
	}
	if inf.Label != "" {
		for _, c := range inf.Columns {
			if c.Name == inf.Label && c.Type == ml.Numeric && c.Distinct > 2 {
				v.Task = "regression"
			}
		}
	}
	return v, data, nil
}

func fmtNum(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

func (s *Server) handleSchemaView(w http.ResponseWriter, r *http.Request) error {
	v, _, err := s.uploadView(r, chi.URLParam(r, "upload"))
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.SchemaPage(v))
	return nil
}

// handleCreateFromUpload builds the model from the confirmed roles,
// checks the whole file against it and creates both in one transaction.
func (s *Server) handleCreateFromUpload(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "upload")
	v, data, err := s.uploadView(r, id)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ml.Errorf(ml.EINVALID, "bad form")
	}
	m := &ml.Model{Name: strings.TrimSpace(r.PostFormValue("name")), Task: ml.Task(r.PostFormValue("task"))}
	v.Name, v.Task = m.Name, string(m.Task)
	var ignore []string
	problem := ""
	for i, c := range v.Columns {
		role := r.PostFormValue("role:" + c.Name)
		v.Columns[i].Role = role
		switch role {
		case "numeric", "categorical":
			m.Features = append(m.Features, ml.Feature{Name: c.Name, Type: ml.FeatureType(role)})
		case "label", "time", "entity":
			target := map[string]*string{"label": &m.Label, "time": &m.Time, "entity": &m.Entity}[role]
			if *target != "" {
				problem = fmt.Sprintf("Only one column can be the %s: %s and %s are both marked.", role, *target, c.Name)
			}
			*target = c.Name
		case "ignore":
			ignore = append(ignore, c.Name)
		default:
			problem = fmt.Sprintf("Choose a role for column %s.", c.Name)
		}
	}
	fail := func(f *web.Flash, status int) error {
		v.Flash = f
		render(w, r, status, web.SchemaPage(v))
		return nil
	}
	if problem == "" && m.Label == "" {
		problem = "Mark one column as the label."
	}
	if problem != "" {
		return fail(&web.Flash{Kind: "bad", Text: problem}, http.StatusUnprocessableEntity)
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return fail(flashFor(err), http.StatusUnprocessableEntity)
	}
	opt := s.parseOptions()
	opt.Ignore = ignore
	b, err := ingest.ParseCSV(bytes.NewReader(data), m, opt)
	if err != nil {
		if !userFacing(err) {
			return err
		}
		return fail(flashFor(err), statusOf(ml.ErrorCode(err)))
	}
	res, err := s.DB.CreateModelWithBatch(r.Context(), actorFrom(r), m, b, store.SourceUpload)
	if err != nil {
		if !userFacing(err) {
			return err
		}
		return fail(flashFor(err), statusOf(ml.ErrorCode(err)))
	}
	s.Metrics.Ingested.WithLabelValues(m.Name, store.SourceUpload).Add(float64(res.Accepted))
	s.DB.DeleteUpload(r.Context(), id)
	redirect(w, r, "/models/"+m.Name)
	return nil
}

// handleAppendUpload appends a CSV file's rows to a model, all or nothing.
func (s *Server) handleAppendUpload(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	var flash *web.Flash
	status := http.StatusOK
	name, data, err := s.readUpload(w, r)
	var res store.IngestResult
	if err == nil {
		var b *ml.Batch
		b, err = ingest.ParseCSV(bytes.NewReader(data), m, s.parseOptions())
		if err == nil {
			res, err = s.DB.InsertBatch(r.Context(), actorFrom(r), m, b, store.SourceUpload)
		}
	}
	switch {
	case err != nil && !userFacing(err):
		return err
	case err != nil:
		s.Metrics.Rejected.WithLabelValues(m.Name, ml.ErrorCode(normalize(err))).Inc()
		flash, status = flashFor(normalize(err)), statusOf(ml.ErrorCode(normalize(err)))
	default:
		s.Metrics.Ingested.WithLabelValues(m.Name, store.SourceUpload).Add(float64(res.Accepted))
		flash = &web.Flash{Kind: "ok", Text: fmt.Sprintf("Stored %s rows from %s (%s labeled).", web.Int(res.Accepted), name, web.Int(res.Labeled))}
	}
	varyHX(w)
	if isFragment(r) {
		render(w, r, status, web.FlashBox(flash))
		return nil
	}
	v, err := s.modelView(r, true)
	if err != nil {
		return err
	}
	v.Flash = flash
	render(w, r, status, web.ModelPage(v))
	return nil
}
