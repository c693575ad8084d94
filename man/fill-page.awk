# SPDX-License-Identifier: GPL-2.0
#
# Fill a man page in at install time:
#   awk -v version=X.Y.Z -f man/fill-page.awk kmod/include/uapi/linux/kipc.h PAGE
# prints PAGE with @VERSION@ replaced by the version and the line
# `.\" @ERRNO_CONTRACT@` replaced by the table of the uapi header's
# "DOC: errno contract" block, as .TP entries: the header is the one place
# that table is written.

# Header text as roff: kernel-doc @field and ``literal`` become italics,
# backslashes are escaped, and a line must not start with a control
# character.
function roff(s,    out, c) {
	out = ""
	while (match(s, /\\|@[A-Za-z_][A-Za-z0-9_]*|``[^`]*``/)) {
		c = substr(s, RSTART, RLENGTH)
		if (c == "\\")
			c = "\\e"
		else if (c ~ /^@/)
			c = "\\fI" substr(c, 2) "\\fP"
		else
			c = "\\fI" substr(c, 3, RLENGTH - 4) "\\fP"
		out = out substr(s, 1, RSTART - 1) c
		s = substr(s, RSTART + RLENGTH)
	}
	out = out s
	if (out ~ /^[.']/)
		out = "\\&" out
	return out
}

FNR == NR {
	if ($0 ~ /DOC: errno contract/) {
		in_doc = 1
		next
	}
	if (!in_doc || table_done)
		next
	line = $0
	sub(/^ \*( |$)/, "", line)
	if (line ~ /^=+ +=+$/) {
		if (++rulers == 2)
			table_done = 1
		next
	}
	if (rulers != 1)
		next
	if (line ~ /^[A-Z0-9]/) {
		name = line
		sub(/ .*/, "", name)
		text = line
		sub(/^[A-Z0-9]+ +/, "", text)
		table = table (table == "" ? ".TP 14" : ".TP") "\n.B " name "\n" roff(text) "\n"
	} else {
		sub(/^ +/, "", line)
		table = table roff(line) "\n"
	}
	next
}

FNR == 1 && !table_done {
	print "fill-page.awk: no \"DOC: errno contract\" table in " ARGV[1] > "/dev/stderr"
	exit 1
}

$0 == ".\\\" @ERRNO_CONTRACT@" {
	printf "%s", table
	next
}

{
	gsub(/@VERSION@/, version)
	print
}
