// Package referrals is the referrals service of carecoord: referrals into the
// integrated care teams and community services, from receipt through triage,
// the waiting list and allocation to the first face-to-face contact, with the
// Urgent Community Response 2-hour measure.
//
// The code lives in its subpackages (see ../README.md for the shape every
// service follows and DESIGN.md here for this service's decisions); this
// package holds nothing but this comment.
package referrals
