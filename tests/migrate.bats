#!/usr/bin/env bats
# vctl migrate (source 004, issue 9): a volume placed on arrays by its
# requirement moves off one of them, region by region, onto the placement
# that meets the requirement with the fewest moved PSEGs; offline as a
# foreground job, online in the server's job thread; cancel; refusals.

load test_helper
load serve_helper

setup() {
	serve_setup
}

teardown() {
	stop_serve
}

# A raid1 volume db of 4 MiB needing 600 MB/s on e0 and e1 (ratings 400
# each; e2 400 too), full of data, with a snapshot that shares it.
placed_db() {
	rated_pool 400 400 400
	vctl -p "$P" create db --size 4M --mbps 600 --raid 1 -q
	head -c 4M /dev/urandom >"$D/data"
	vctl -p "$P" write db "$D/data" -q
	vctl -p "$P" snapshot db snap -q
	[ "$(encls_of db)" = "e0,e1" ]
}

@test "migrate moves a volume off an array: e1 stays, e2 takes e0's half; data, snapshot, commitments, intents" {
	placed_db
	local psegs
	psegs=$(vctl -p "$P" --json dump map db | jq '[.runs[] | select(.rsd != null) | .members[]] | length')
	run -0 vctl -p "$P" migrate db --from e0
	assert_output "db lies on arrays e1, e2 ($((psegs / 2)) PSEGs moved of $psegs)"
	[ "$(encls_of db)" = "e1,e2" ]
	cmp <(vctl -p "$P" read db) "$D/data"
	cmp <(vctl -p "$P" read snap) "$D/data"
	run -0 vctl -p "$P" --json show db
	[ "$(jq -c .requirement <<<"$output")" = '{"mbps":600,"iops":0,"fit":"best","arrays":["e1","e2"]}' ]
	run -0 vctl -p "$P" --json array list
	[ "$(jq -c '[.arrays[] | .committed_mbps]' <<<"$output")" = '[0,300,300]' ]
	run -0 vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" = 0 ]
	run -0 vctl -p "$P" check --intents
}

@test "migrate --json; then back off e2 onto e0 (the fewest moves keep e1)" {
	placed_db
	run -0 vctl -p "$P" --json migrate db --from e0
	[ "$(jq -c '[.volume, .arrays, .done, (.moves * 2 == .psegs), (.job > 0)]' <<<"$output")" = '["db",["e1","e2"],true,true,true]' ]
	run -0 vctl -p "$P" --json migrate db --from e2
	[ "$(jq -c '.arrays' <<<"$output")" = '["e0","e1"]' ]
	[ "$(encls_of db)" = "e0,e1" ]
	cmp <(vctl -p "$P" read db) "$D/data"
	run -0 vctl -p "$P" check --intents
}

@test "migrate refuses: no requirement, not on that array, no placement without it; unknown names; usage" {
	placed_db
	vctl -p "$P" create plain --size 1M -q
	local sum
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" migrate plain --from e0
	assert_output "vctl migrate: volume plain has no requirement (--mbps/--iops) to place it by"
	run -3 vctl -p "$P" migrate db --from e2
	assert_output "vctl migrate: volume db is not placed on array e2"
	assert_unchanged "$P" "$sum"
	vctl -p "$P" array set e2 --mbps 200 -q
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" migrate db --from e0
	assert_output "vctl migrate: needs 600 MB/s; no set of arrays has an even share of it free on each (together 600 MB/s and 0 IOPS are free)"
	run -2 vctl -p "$P" migrate nosuch --from e0
	assert_output "vctl migrate: no volume named nosuch"
	run -2 vctl -p "$P" migrate db --from e9
	assert_output "vctl migrate: no array (enclosure) named e9"
	run -1 vctl -p "$P" migrate db
	assert_output "vctl migrate: which array does it leave? give --from ARRAY"
	run -1 vctl -p "$P" migrate db --from e0 --rate 0
	assert_one_line
	run -1 vctl -p "$P" migrate --from e0
	assert_one_line
	assert_unchanged "$P" "$sum"
	[ "$(encls_of db)" = "e0,e1" ]
}

@test "a migration part way (as a kill leaves it): check is clean, jobs shows it; cancel keeps every array that holds the volume" {
	placed_db
	VCTL_JOB_STEPS=1 vctl -p "$P" migrate db --from e0 -q
	run -0 vctl -p "$P" --json jobs
	[ "$(jq -c '.jobs[0] | [.kind, .volume, .arrays, .state, (.psegs_moved > 0), (.psegs_moved < .psegs)]' <<<"$output")" = '["migrate","db",["e1","e2"],"running",true,true]' ]
	run -0 vctl -p "$P" jobs
	assert_output --partial "migrate    db"
	assert_output --partial "onto e1,e2"
	# on its way: members outside the new arrays are not a problem yet
	run -0 vctl -p "$P" check --intents
	[ "$(encls_of db)" = "e0,e1,e2" ]
	run -3 vctl -p "$P" migrate db --from e1
	assert_output --regexp "^vctl migrate: volume db is being migrated already \(job [0-9]+\)$"
	local id
	id=$(vctl -p "$P" --json jobs | jq '.jobs[0].id')
	run -0 vctl -p "$P" jobs --cancel "$id"
	run -0 vctl -p "$P" --json show db
	[ "$(jq -c .requirement.arrays <<<"$output")" = '["e1","e2","e0"]' ]
	run -0 vctl -p "$P" check --intents
	cmp <(vctl -p "$P" read db) "$D/data"
	# and a new migration off e0 finishes the move
	run -0 vctl -p "$P" migrate db --from e0
	[ "$(encls_of db)" = "e1,e2" ]
	cmp <(vctl -p "$P" read snap) "$D/data"
}

@test "served: migrate returns at once, the server's job thread moves the volume; jobs --wait; reads meanwhile see the data" {
	placed_db
	start_serve --socket "$SOCK"
	run -0 vctl -p "$P" --json migrate db --from e0 --rate 4M
	[ "$(jq .done <<<"$output")" = false ]
	run -0 vctl -p "$P" --json jobs
	[ "$(jq -r '.jobs[0].kind' <<<"$output")" = migrate ]
	[ "$(jq '.jobs[0].rate_limit' <<<"$output")" = 4194304 ]
	cmp <(vctl -p "$P" read db) "$D/data"
	run -0 timeout 60 "$VCTL" -p "$P" jobs --wait
	run -0 vctl -p "$P" --json jobs
	[ "$(jq '.jobs | length' <<<"$output")" = 0 ]
	[ "$(encls_of db)" = "e1,e2" ]
	cmp <(vctl -p "$P" read db) "$D/data"
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ]
	run -0 vctl -p "$P" check --intents
}

@test "capability is not space: a placement whose arrays lack the free PSEGs for the moves is refused, nothing changes" {
	mkpool 6 16M 3
	vctl -p "$P" array set e0 --mbps 100 -q
	vctl -p "$P" array set e1 --mbps 100 -q
	vctl -p "$P" create fill --size 12M --mbps 60 --raid 1 --thick -q
	vctl -p "$P" create db --size 4M --mbps 50 --raid 1 --thick -q
	[ "$(encls_of fill)" = e0 ]
	[ "$(encls_of db)" = e1 ]
	# e0 could carry db now, but holds too few free PSEGs
	vctl -p "$P" array set e0 --mbps 1000 -q
	local sum
	sum=$(images_sum "$P")
	run -3 vctl -p "$P" migrate db --from e1
	assert_output --regexp "^vctl migrate: the new placement needs 32 free PSEGs on its arrays; they have [0-9]+$"
	assert_unchanged "$P" "$sum"
	[ "$(encls_of db)" = e1 ]
}
