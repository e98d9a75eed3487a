package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/unioneyes/authkit/clerkauth"
	"github.com/unioneyes/authkit/internal/idquote"
)

// GetOrganization implements [clerkauth.OrgStore].
func (s *Store) GetOrganization(ctx context.Context, id string) (*clerkauth.Organization, error) {
	if !validID(id) {
		return nil, notStorable(ctx, "get organization", clerkauth.ErrNotFound)
	}
	var (
		o                     clerkauth.Organization
		meta                  sql.NullString
		created, upd, deleted sql.NullInt64
	)
	err := s.db.QueryRowContext(ctx, s.q.getOrg, id).Scan(
		&o.ID, &o.Name, &o.Slug, &o.ImageURL, &meta, &created, &upd, &deleted)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, clerkauth.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlstore: get organization %s: %w", idquote.Quote(id), err)
	}
	o.PublicMetadata = fromJSON(meta)
	o.CreatedAt, o.UpdatedAt, o.DeletedAt = fromMillis(created), fromMillis(upd), fromMillis(deleted)
	return &o, nil
}

// UpsertOrganization implements [clerkauth.OrgStore] in one statement, as
// [Store.UpsertUser] does. It fails with [ErrInvalid] for a nil
// organization, an id that is empty or not valid UTF-8 without NUL, or
// invalid metadata JSON.
func (s *Store) UpsertOrganization(ctx context.Context, o *clerkauth.Organization) (bool, error) {
	if o == nil {
		return false, fmt.Errorf("%w: nil organization", ErrInvalid)
	}
	if err := checkID("organization", o.ID); err != nil {
		return false, err
	}
	meta, err := jsonArg(o.PublicMetadata)
	if err != nil {
		return false, err
	}
	return s.write(ctx, "upsert organization "+idquote.Quote(o.ID), s.q.upsertOrg,
		o.ID, text(o.Name), text(o.Slug), text(o.ImageURL), meta, millis(o.CreatedAt), millis(o.UpdatedAt))
}

// DeleteOrganization implements [clerkauth.OrgStore] in one statement. It
// fails with [ErrInvalid] for an id that is empty or not valid UTF-8
// without NUL, or a zero time. The
// organization's membership records are not touched, but the lists no
// longer hold them (see [Store.ListMembers]).
func (s *Store) DeleteOrganization(ctx context.Context, id string, at time.Time) (bool, error) {
	if err := validDeletion("organization", id, at); err != nil {
		return false, err
	}
	return s.write(ctx, "delete organization "+idquote.Quote(id), s.q.deleteOrg, id, millis(at))
}
