// Package ml holds freshet's domain: the nouns of DESIGN.md (models, feature
// schemas, observation batches, users, roles, errors) and their rules.
//
// ml and its sub-packages do no I/O of their own and import no app package
// (store, jobs, handlers, web); they may read from an io.Reader handed to
// them. The statistics live in sub-packages, one per concern.
package ml
