/*
 * The review deadline of moderated slots (issue 15, sql/019_moderation.sql):
 * a bought ad the seller has not reviewed within the campaign's review
 * time runs, and its escrowed price is paid out to the seller (and the
 * fee) by sql/functions/camp_review_due.sql.  Called from the payer's
 * thread every run, with the payer's own connection; only the active
 * worker acts (worker/lease.h), like the payer.
 *
 * Ownership: borrows the connection; keeps nothing.
 */
#ifndef ABC_REVIEW_DUE_H
#define ABC_REVIEW_DUE_H

struct bgdb;

/* Most slots paid out a run; the rest wait for the next. */
#define REVIEW_DUE_PER_RUN	100

int	review_due_run(struct bgdb *db);

#endif /* ABC_REVIEW_DUE_H */
