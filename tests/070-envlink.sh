#!/bin/sh
# 070-envlink: envlink usage, init, env, and check and repair of every
# problem on real trees.
# SPDX-License-Identifier: ISC
. "$(dirname "$0")/tap.sh"
. "$TESTS/envlink.sh"

plan 153

# --- usage -----------------------------------------------------------------

status 'no arguments is a usage error' 2 "$E"
like 'no arguments prints the usage on stderr' 'usage: envlink init *' \
    "$(sed -n 1p "$ERR")"
status 'an unknown command is a usage error' 2 "$E" frob
same 'an unknown command is named' 'envlink: frob: unknown command' \
    "$(sed -n 1p "$ERR")"
status 'an unknown option is a usage error' 2 "$E" check -x e
same 'an unknown option is named' 'envlink: -x: unknown option' \
    "$(sed -n 1p "$ERR")"
status '-c without a value is a usage error' 2 "$E" init -c
same 'the missing value is named' 'envlink: -c: needs a value' \
    "$(sed -n 1p "$ERR")"
status 'an option of another command is a usage error' 2 "$E" env -n e
rcs=
for args in 'init m' 'init a b c' 'check' 'check a b' 'repair' 'repair a b' \
    'switch l' 'switch a b c' 'publish a' 'publish a b c' 'env' 'env a b'; do
	# shellcheck disable=SC2086
	run "$E" $args
	rcs="$rcs $?"
done
same 'a wrong number of operands is a usage error for every command' \
    ' 2 2 2 2 2 2 2 2 2 2 2 2' "$rcs"
same 'usage errors create nothing' '' "$(names .)"
status '-h succeeds' 0 "$E" -h
same '-h prints the 6-line usage on stdout, nothing on stderr' \
    'usage: envlink init|6|' \
    "$(sed -n '1s/  .*//p' "$OUT")|$(wc -l <"$OUT")|$(cat "$ERR")"
if command -v mandoc >/dev/null 2>&1; then
	# The SYNOPSIS as mandoc renders it, and -h, blanks squeezed.
	syn=$(MANWIDTH=200 mandoc -T ascii -O width=200 \
	    "$TESTS/../man/envlink.1" | col -b |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
	    sed 's/^ *//; s/  */ /g; /^$/d')
	use=$(sed 's/^usage: //; s/^ *//; s/  */ /g' "$OUT")
	same 'the usage equals the SYNOPSIS of envlink(1)' "$syn" "$use"
else
	skip 'the usage equals the SYNOPSIS of envlink(1)' 'no mandoc'
fi
status '-V succeeds' 0 "$E" -V
same '-V prints the version' 'envlink 0.1.0' "$(cat "$OUT")"

# --- init ------------------------------------------------------------------

mkdir -p m/raw m/ref
printf 'id,name\n1,a\n' >m/raw/people.csv
printf 'ref\n' >m/ref/codes.txt
mlist=$(listing m)

status 'init -n of a new environment' 0 "$E" init -n m dev
same 'init -n says what it would do, on stdout' \
    "would mkdir dev
would link dev/raw -> $P/m/raw
$(for l in $ISOLATED; do echo "would mkdir dev/$l"; done)
would write dev/.envlink" "$(cat "$OUT")"
ok 'init -n makes nothing' test ! -e dev

status 'init with the default layers' 0 "$E" init m dev
same 'init is quiet' '' "$(cat "$OUT" "$ERR")"
same 'ENVDIR holds the record, its lock and the nine layers' \
    ".envlink .envlink.lock $LAYERS" "$(names dev)"
same 'raw is a symlink to the absolute path of MASTER/raw' "$P/m/raw" \
    "$(readlink dev/raw)"
ok 'the shared layer shows the master data' cmp m/raw/people.csv \
    dev/raw/people.csv
bad=
for l in $ISOLATED; do
	if [ ! -d "dev/$l" ] || [ -L "dev/$l" ] || [ -n "$(names "dev/$l")" ]
	then bad="$bad $l"; fi
done
same 'the isolated layers are empty directories' '' "$bad"
same 'the record holds tag, name, master and layers' \
    "$(record dev "$P/m")" "$(cat dev/.envlink)"
same 'the record is mode 644' 644 "$(mode_of dev/.envlink)"
same 'the master is untouched' "$mlist" "$(listing m)"

list=$(listing dev)
status 'init again is harmless' 0 "$E" init -v m dev
same 'and changes nothing' "$list" "$(listing dev)"
same 'and says nothing with -v' '' "$(cat "$OUT" "$ERR")"

rmdir dev/gold
rm dev/raw
status 'init completes a partial environment' 0 "$E" init -v m dev
same 'init -v says what it does, on stderr' \
    "link dev/raw -> $P/m/raw
mkdir dev/gold" "$(cat "$ERR")"
same 'the environment is whole again' "$list" "$(listing dev)"

status 'init -c with a layers file' 0 "$E" init -c "$TESTS/../conf/layers.conf" \
    m dev2
same 'conf/layers.conf gives the default layers' "$(cat dev/.envlink)" \
    "$(sed 's/^name dev2$/name dev/' dev2/.envlink)"
printf 'raw shared\nref shared\nwork isolated\n' >three.conf
status 'init -e NAME with three layers' 0 "$E" init -e sandbox_1 \
    -c three.conf m s
same 'the record holds the name given and those layers' \
    "$(record sandbox_1 "$P/m" three.conf)" "$(cat s/.envlink)"
same 'and ENVDIR those layers' '.envlink .envlink.lock raw ref work' \
    "$(names s)"

# --- layers files and names -----------------------------------------------

bad_conf() {	# bad_conf DESCRIPTION MESSAGE CONTENT
	printf '%s' "$3" >bad.conf
	status "$1 is a configuration error" 2 "$E" init -c bad.conf m x
	same "$1: the message names file and line" "$2" "$(cat "$ERR")"
}
bad_conf 'a bad kind' 'envlink: bad.conf:3: want shared or isolated' \
    '# layers
raw shared
gold private
'
bad_conf 'a missing kind' 'envlink: bad.conf:1: want: LAYER shared|isolated' \
    'raw
'
bad_conf 'a layer listed twice' 'envlink: bad.conf:2: layer listed twice' \
    'raw shared
raw isolated'
bad_conf 'a layer name with a slash' \
    "envlink: bad.conf:1: not a layer name (letters, digits, '.', '_' and '-', at most 64, not starting with '.' or '-')" \
    'a/b shared'
bad_conf 'a layer name starting with a dot' \
    "envlink: bad.conf:1: not a layer name (letters, digits, '.', '_' and '-', at most 64, not starting with '.' or '-')" \
    '.envlink isolated'
bad_conf 'a file without layers' 'envlink: bad.conf: no layers' \
    '# nothing

'
status 'a missing layers file is a configuration error' 2 \
    "$E" init -c nosuch.conf m x
same 'and names the file' 'envlink: nosuch.conf: No such file or directory' \
    "$(cat "$ERR")"
status 'a bad -e NAME is a usage error' 2 "$E" init -e 'pr od' m x
like 'and says what a name may be' "envlink: -e: pr od: not an environment name*" \
    "$(cat "$ERR")"
mkdir 'odd name'
status 'a directory name that is no environment name needs -e' 2 \
    "$E" init m 'odd name/my env'
same 'and says so' "envlink: odd name/my env: its name is not an environment name (letters, digits, '.', '_' and '-', at most 64): give one with -e" \
    "$(cat "$ERR")"
ok 'configuration errors create nothing' test ! -e x -a ! -e 'odd name/my env'


# --- init refuses ------------------------------------------------------------

status 'a missing MASTER is refused' 1 "$E" init nosuch x
same 'and named' 'envlink: nosuch: No such file or directory' "$(cat "$ERR")"
mkdir m2
status 'a MASTER without a shared layer is refused' 1 "$E" init m2 x
same 'with the layer named and nothing changed' \
    "envlink: $P/m2/raw: No such file or directory
envlink: m2: the master lacks 1 shared layer; nothing changed" "$(cat "$ERR")"
ok 'ENVDIR is not made' test ! -e x
status 'ENVDIR inside MASTER is refused' 1 "$E" init m m/dev
same 'and said' "envlink: m/dev: inside the master $P/m; refused" \
    "$(cat "$ERR")"
status 'ENVDIR equal to MASTER is refused' 1 "$E" init -e prod m m
status 'MASTER inside ENVDIR is refused' 1 "$E" init -e all m .
same 'and said' "envlink: .: the master $P/m is inside it; refused" \
    "$(cat "$ERR")"
ln -s m/ref into
status 'ENVDIR reached through a symlink into MASTER is refused' 1 \
    "$E" init -e x m into
mkdir -p deep/a
ln -s "$P/m" deep/a/up
status 'ENVDIR below a symlink into MASTER is refused' 1 \
    "$E" init m deep/a/up/new
same 'the master is untouched by the refusals' "$mlist" "$(listing m)"

mkdir c c/raw
printf 'keep me\n' >c/raw/mine.txt
printf 'gold file\n' >c/gold
ln -s /nowhere c/silver
clist=$(listing c)
status 'conflicts are refused' 1 "$E" init m c
same 'each conflict is reported' \
    "envlink: c/raw: a directory where a symlink to $P/m/raw belongs
envlink: c/silver: a symlink to /nowhere where a directory belongs
envlink: c/gold: a regular file where a directory belongs
envlink: c: 3 conflicts; nothing changed" "$(cat "$ERR")"
same 'and nothing is changed, not even a lock file made' "$clist" \
    "$(listing c)"
status 'a record of another environment is a conflict' 1 "$E" init -e other m dev
same 'and said' \
    "envlink: dev/.envlink: records another environment (dev, master $P/m)
envlink: dev: 1 conflict; nothing changed" "$(cat "$ERR")"
same 'the record is kept' "$(record dev "$P/m")" "$(cat dev/.envlink)"

# --- env -------------------------------------------------------------------

status 'env' 0 "$E" env dev
same 'env prints the assignments and an export' \
    "DATA_ENV='dev'
DATA_ROOT='$P/dev'
DATA_MASTER='$P/m'
export DATA_ENV DATA_ROOT DATA_MASTER" "$(cat "$OUT")"
ln -s dev current
status 'env through a symlink' 0 "$E" env current/
same 'DATA_ROOT is resolved, so a switch cannot move a running job' \
    "DATA_ROOT='$P/dev'" "$(sed -n 2p "$OUT")"
same 'eval exports them to programs' "dev|$P/dev|$P/m" \
    "$(eval "$(cat "$OUT")"; sh -c 'printf "%s|%s|%s" "$DATA_ENV" \
    "$DATA_ROOT" "$DATA_MASTER"')"
status 'env of a directory that is no environment' 1 "$E" env m
same 'says so' 'envlink: m: not an environment (no .envlink; run envlink init first)' \
    "$(cat "$ERR")"
status 'env of a missing directory' 1 "$E" env nosuch

# --- hostile names -------------------------------------------------------------

BADUTF=$(printf '\377\300')
HM="ma ster${TAB}\$HOME\`id\`'q\"${NL}nl%41#x$BADUTF"
HE="e v${NL}\$(id)'${TAB}\\x"
mkdir -p "$HM/raw"
status 'init with hostile MASTER and ENVDIR names (blanks, newline, quotes, $, backquotes, invalid UTF-8)' 0 "$E" init -e hostile \
    "$HM" "$HE"
same 'the shared link holds the master path byte for byte' "$P/$HM/raw" \
    "$(readlink "$HE/raw")"
enc=$(printf '%s' "$P/" | sed 's/ /%20/g')'ma%20ster%09$HOME`id`'"'"'q"%0Anl%2541%23x'"$BADUTF"
same 'the record percent-encodes the master' "$(record hostile "$enc")" \
    "$(cat "$HE/.envlink")"
status 'check of the hostile environment, master read-only' 0 \
    ro "$HM" "$E" check "$HE"
same 'finds nothing' '' "$(cat "$OUT" "$ERR")"
run "$E" env "$HE"
same 'env survives eval in sh, byte for byte' "hostile|$P/$HE|$P/$HM|" \
    "$(eval "$(cat "$OUT")"; printf '%s|%s|%s|' "$DATA_ENV" "$DATA_ROOT" \
    "$DATA_MASTER")"
rm "$HE/raw"
status 'check of a hostile name with a problem' 1 ro "$HM" "$E" check "$HE"
same 'the master path is escaped on one line' \
    "raw${TAB}missing" "$(cat "$OUT")"
mv "$HE/bronze" "$HE/bronze.x"
ln -s "$P/$HM/raw" "$HE/bronze"
run ro "$HM" "$E" check "$HE"
same 'a link target is escaped with \t and \n' \
    "raw${TAB}missing
bronze${TAB}symlink into the master: $P/ma ster\\t\$HOME\`id\`'q\"\\nnl%41#x$BADUTF/raw" \
    "$(cat "$OUT")"
status 'repair of the hostile environment' 0 ro "$HM" "$E" repair "$HE"
same 'leaves the right link' "$P/$HM/raw" "$(readlink "$HE/raw")"

# --- check: every problem ------------------------------------------------------

cat >p.conf <<'EOF'
raw shared
ref shared
lookup shared
emptyd shared
fulld shared
filed shared
bronze isolated
silver isolated
gold isolated
models isolated
results isolated
reports isolated
EOF
mkdir -p m/lookup m/emptyd m/fulld m/filed m/models other
printf 'prod model\n' >m/models/model.bin
mlist=$(listing m)
run "$E" init -c p.conf m p
status 'check of a whole environment with a read-only master' 0 \
    ro m "$E" check p
same 'prints nothing' '' "$(cat "$OUT" "$ERR")"
status 'check -v' 0 ro m "$E" check -v p
same 'check -v says ok per layer on stderr' \
    "$(sed 's/ .*//; s/^/ok /' p.conf)" "$(cat "$ERR")"

rm p/raw
rm p/ref && ln -s /nonexistent/ref p/ref
rm p/lookup && ln -s ../m/raw p/lookup
rm p/emptyd && mkdir p/emptyd
rm p/fulld && mkdir p/fulld && printf 'local work\n' >p/fulld/w.txt
rm p/filed && printf 'a file\n' >p/filed
rmdir p/bronze
rmdir p/silver && ln -s "$P/nowhere" p/silver
rmdir p/gold && ln -s ../other p/gold
rmdir p/models && ln -s ../m/models p/models
rmdir p/results && printf 'results\n' >p/results
before=$(listing p)
status 'check finds every problem' 1 ro m "$E" check p
same 'one exact line per problem, in the order of the layers' \
    "raw${TAB}missing
ref${TAB}dangling symlink to /nonexistent/ref
lookup${TAB}symlink to ../m/raw, not to $P/m/lookup
emptyd${TAB}an empty directory, not a symlink to $P/m/emptyd
fulld${TAB}a directory with content, not a symlink to $P/m/fulld
filed${TAB}a regular file, not a symlink to $P/m/filed
bronze${TAB}missing
silver${TAB}dangling symlink to $P/nowhere
gold${TAB}symlink to ../other, not a directory
models${TAB}symlink into the master: ../m/models
results${TAB}a regular file, not a directory" "$(cat "$OUT")"
same 'check says nothing on stderr' '' "$(cat "$ERR")"
same 'check changes nothing' "$before" "$(listing p)"

# The writable master: the calling user's view.
if [ "$ROOT" = 1 ]; then uid=0; else uid=$(id -u); fi
run "$E" check dev
same 'a writable shared master layer is a warning line' \
    "raw${TAB}warning: $P/m/raw is writable by uid $uid" "$(cat "$OUT")"
status 'and makes the exit status 1' 1 "$E" check dev
if [ "$ROOT" = 1 ] && command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	chmod go+x "$TAP_ROOT" "$T"
	status 'as a user who cannot write the master, check is clean' 0 \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$E" check dev
	chmod o+w m/raw
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$E" check dev
	same 'a master layer writable by that user is a warning' \
	    "raw${TAB}warning: $P/m/raw is writable by uid 65534" \
	    "$(cat "$OUT")"
	chmod o-w m/raw
else
	skip 'as a user who cannot write the master, check is clean' \
	    'needs root and setpriv'
	skip 'a master layer writable by that user is a warning' \
	    'needs root and setpriv'
fi

# A directory inside the master: a bind mount, or ENVDIR moved into it.
printf 'gold isolated\nreports isolated\n' >iso.conf
run "$E" init -c iso.conf m iso
mkdir -p m/gold2
printf 'prod gold\n' >m/gold2/g.parquet
if [ "$ROOT" = 1 ]; then
	status 'a bind mount of the master on an isolated layer' 1 inns sh -c \
	    'mount --bind m/gold2 iso/gold && exec "$1" check iso' sh "$E"
	same 'is a directory inside the master' \
	    "gold${TAB}a directory inside the master $P/m" "$(cat "$OUT")"
	status 'repair leaves it alone' 1 inns sh -c \
	    'mount --bind m/gold2 iso/gold && exec "$1" repair iso' sh "$E"
	same 'and says so' \
	    "envlink: iso/gold: a directory inside the master; left alone" \
	    "$(cat "$ERR")"
else
	for d in 'a bind mount of the master on an isolated layer' \
	    'is a directory inside the master' 'repair leaves it alone' \
	    'and says so'; do skip "$d" 'bind mounts need root'; done
fi
mv iso m/iso
status 'an environment moved into the master' 1 "$E" check m/iso
same 'has every isolated layer inside the master' \
    "gold${TAB}a directory inside the master $P/m
reports${TAB}a directory inside the master $P/m" "$(cat "$OUT")"
mv m/iso iso
rm -r m/gold2
same 'the master is untouched by the checks' "$mlist" "$(listing m)"

# --- repair --------------------------------------------------------------------

status 'repair -n' 1 ro m "$E" repair -n p
same 'repair -n says what it would do and what would remain' \
    "would link p/raw -> $P/m/raw
would relink p/ref -> $P/m/ref (was /nonexistent/ref)
would relink p/lookup -> $P/m/lookup (was ../m/raw)
would replace p/emptyd (an empty directory) by a link to $P/m/emptyd
fulld${TAB}a directory with content, not a symlink to $P/m/fulld
filed${TAB}a regular file, not a symlink to $P/m/filed
would mkdir p/bronze
would replace p/silver (a symlink to $P/nowhere) by a directory
would replace p/gold (a symlink to ../other) by a directory
would replace p/models (a symlink to ../m/models) by a directory
results${TAB}a regular file, not a directory" "$(cat "$OUT")"
same 'repair -n changes nothing' "$before" "$(listing p)"

LC_ALL=C ls -A p >names.before
olist=$(listing . | grep '^other|')
status 'repair fixes what destroys nothing, and fails on the rest' 1 \
    ro m "$E" repair -v p
same 'what remains is printed as check prints it' \
    "fulld${TAB}a directory with content, not a symlink to $P/m/fulld
filed${TAB}a regular file, not a symlink to $P/m/filed
results${TAB}a regular file, not a directory" "$(cat "$OUT")"
same 'repair -v says what it does, and why it leaves the rest' \
    "link p/raw -> $P/m/raw
relink p/ref -> $P/m/ref (was /nonexistent/ref)
relink p/lookup -> $P/m/lookup (was ../m/raw)
replace p/emptyd (an empty directory) by a link to $P/m/emptyd
envlink: p/fulld: a directory with content, not a symlink; left alone
envlink: p/filed: a regular file, not a symlink; left alone
mkdir p/bronze
replace p/silver (a symlink to $P/nowhere) by a directory
replace p/gold (a symlink to ../other) by a directory
replace p/models (a symlink to ../m/models) by a directory
envlink: p/results: a regular file, not a directory; left alone" \
    "$(cat "$ERR")"
links=
for l in raw ref lookup emptyd; do links="$links $(readlink "p/$l")"; done
same 'the shared layers link to the master' \
    " $P/m/raw $P/m/ref $P/m/lookup $P/m/emptyd" "$links"
bad=
for l in bronze silver gold models; do
	if [ ! -d "p/$l" ] || [ -L "p/$l" ] || [ -n "$(names "p/$l")" ]
	then bad="$bad $l"; fi
done
same 'the isolated layers are empty directories' '' "$bad"
same 'the content left alone is intact, byte for byte' \
    "$(printf '%s\n' "$before" | grep -e '^fulld' -e '^filed' -e '^results')" \
    "$(listing p | grep -e '^fulld' -e '^filed' -e '^results')"
same 'no entry appears or vanishes but the repaired ones; no temporary' \
    "$( (cat names.before; echo bronze; echo raw) | LC_ALL=C sort)" \
    "$(LC_ALL=C ls -A p)"
same 'the master is untouched' "$mlist" "$(listing m)"
same 'the targets of the replaced links are untouched' \
    "$olist" "$(listing . | grep '^other|')"
status 'repair again changes nothing and fails the same way' 1 \
    ro m "$E" repair p
same 'with the same lines' \
    "fulld${TAB}a directory with content, not a symlink to $P/m/fulld
filed${TAB}a regular file, not a symlink to $P/m/filed
results${TAB}a regular file, not a directory" "$(cat "$OUT")"
mv p/fulld fulld.saved && mv p/filed filed.saved && mv p/results results.saved
status 'once the user moved them, repair makes the environment whole' 0 \
    ro m "$E" repair p
status 'and check agrees' 0 ro m "$E" check p

rm -r m/ref
status 'repair cannot link to a missing master layer' 1 ro m "$E" repair p
same 'check line and reason' \
    "ref${TAB}dangling symlink to $P/m/ref" "$(cat "$OUT")"
same 'the reason names the master layer' \
    "envlink: $P/m/ref: missing; p/ref not repaired" "$(cat "$ERR")"
mkdir m/ref

# Leftovers of a killed run: temporaries of envlink's own names.
ln -s /nowhere p/.raw.AbC123
mkdir p/.gold.XyZ789
printf 'half a record' >p/..envlink.Qq1234
printf 'not ours\n' >p/.gold.Kk5678
mkdir p/.silver.Mm9012 && printf 'x' >p/.silver.Mm9012/f
status 'repair removes what a killed run left' 0 ro m "$E" repair -v p
same 'and says so' \
    "remove leftover p/..envlink.Qq1234
remove leftover p/.gold.XyZ789
remove leftover p/.raw.AbC123" "$(sort "$ERR")"
same 'a regular file or a full directory of such a name stays' \
    '.gold.Kk5678 .silver.Mm9012' "$(names p | tr ' ' '\n' | grep '^\.[a-z]*\.[A-Za-z0-9]\{6\}$' | tr '\n' ' ' | sed 's/ $//')"

# --- repair and check refuse ------------------------------------------------

status 'check of a directory without a record' 1 "$E" check m
same 'says it is no environment' \
    'envlink: m: not an environment (no .envlink; run envlink init first)' \
    "$(cat "$ERR")"
cp dev/.envlink saved.envlink
printf 'envlink 1\nname dev\nmaster /x\nlayer raw sideways\n' >dev/.envlink
status 'a damaged record' 1 "$E" check dev
same 'is named with its line' \
    'envlink: dev/.envlink:4: want shared or isolated' "$(cat "$ERR")"
printf 'envlink 2\n' >dev/.envlink
status 'a record of another version' 1 "$E" repair dev
same 'is refused' 'envlink: dev/.envlink:1: not an envlink record of version 1' \
    "$(cat "$ERR")"
printf 'envlink 1\nname dev\nmaster /x%%zz\nlayer raw shared\n' >dev/.envlink
status 'a bad encoding' 1 "$E" env dev
same 'is refused' 'envlink: dev/.envlink:3: bad master line' "$(cat "$ERR")"
cp saved.envlink dev/.envlink
holdlock dev/.envlink.lock
status 'repair while another run holds the lock is busy' 3 "$E" repair dev
same 'and says who' \
    'envlink: dev: busy (another run holds dev/.envlink.lock)' "$(cat "$ERR")"
droplock

# --- a read-only ENVDIR ----------------------------------------------------------

rmdir dev/gold
status 'repair of a read-only environment fails' 1 ro dev "$E" repair dev
same 'naming the lock file and the reason (EROFS for root, else EACCES)' \
    'envlink: dev/.envlink.lock: Read-only file system' \
    "$(sed 's/Permission denied$/Read-only file system/' "$ERR")"
ok 'and leaves nothing behind' test ! -e dev/gold
mkdir rodir
status 'init into a read-only directory fails' 1 ro rodir "$E" init m rodir/new
like 'naming ENVDIR' 'envlink: rodir/new: *' "$(cat "$ERR")"
same 'and leaves nothing behind' '' "$(names rodir)"
