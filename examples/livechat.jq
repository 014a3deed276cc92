# LiveChat's chat archive as chat-import(1)'s lines: an example converter.
#
#   jq -c -f examples/livechat.jq archive.json | chat-import
#
# The input is what LiveChat's Agent Chat API answers to list_archives (one
# page, {"chats": [...]}; give jq every page, one file each), or to get_chat
# (one chat with one thread). Field meanings are from LiveChat's public
# documentation, platform.text.com/docs (its source: the GitHub repository
# livechat/livechat-public-docs):
# - list_archives (messaging/agent-chat-api/v3.5, "List Archives"): one
#   entry per thread, so a chat with three threads is there three times,
#   each time with another "thread" and the chat's "users".
# - the Thread, Users (Agent, Customer) and Event structures
#   (messaging/agent-chat-api/v3.5/data-structures): an event's "id",
#   "type", "author_id" (a user's "id": an agent's is their login email),
#   "created_at" (RFC 3339 with microseconds, which chat-import reads),
#   "visibility" ("agents": seen by agents only); a message's "text"; a
#   file's "name" and "url"; a thread's "active" (false once archived) and
#   "tags" (present only when it was tagged); the customer's "name" and
#   "email".
# - system messages (messaging/references/system-messages): the
#   "system_message_type" and its "text_vars", which name people by their
#   display names (%agent%, %agent_added%), never by their ids.
# - the welcome message, an event with properties.lc2.welcome_message
#   (the list_chats sample of the same API), is the greeting LiveChat sends
#   in an agent's name before anyone answers.
#
# What each becomes:
# - a thread is a conversation, ref livechat:CHAT:THREAD: a thread is one
#   stretch of talk, closed when LiveChat archives it; a chat resumed later
#   goes on in a new thread. Its channel is chat, the visitor and email the
#   customer's.
# - a message or a file is a message of its author: the customer's the
#   visitor's; an agent's the operator's, by the agent's name, and that
#   agent is the operator from then on (so a transfer names the new one);
#   the welcome message is the bot's, so it is not the first response. A
#   file is an attachment. An author the chat's users do not list is
#   taken for an agent: an operator named by their id (an agent's id is
#   their login email).
# - a message or file only agents see (a whisper) is a note by its agent.
# - routing.assigned_* (the chat given to another agent) is an assign.
# - the thread's tags are a tags line, at its last event: LiveChat does
#   not say when or by whom a thread was tagged.
# - an archive is a close at its time: manual_archived_agent and
#   customer_banned by that agent, manual_archived_customer by the visitor,
#   archived_customer_disconnected by the system after a visitor_left, and
#   routing.archived_* and system_archived by the system. A thread that is
#   no longer active with none of these is closed by the system at its
#   last event.
# Not kept, and why: the other system messages (agents added or removed,
# chat_transferred - the next agent's message names the operator -,
# transcripts, rating.* - chat-import has no line for a customer's rating,
# and LiveChat's good/bad is no chat-rate criterion -, idle and queue
# notices, a customer's renaming: the chat's users carry the last name);
# forms and filled forms (survey answers have no field; the customer's name
# and email are read from the chat's users); rich messages (cards and
# buttons, whose titles are no message's text) and custom events (an
# integration's own payload); properties, access groups, the customer's
# visits, pages and geolocation (personal data chat-tools has no use for).
# The archive holds no edits, so there are no edit lines.
#
# A document that is not such an answer, or an event without what its type
# needs, stops jq with an error (exit 5) naming it, and nothing of that
# document is printed; run the pipeline with `set -o pipefail` to see it.

def fail(what): error("livechat.jq: " + what);

# .[key] when it is of JSON type kind, else a failure naming where.
def need(key; kind; where):
	if (.[key] | type) == kind then .[key]
	else fail("\(where): \(key): not \(if kind == "array" or kind == "object"
	    then "an" else "a" end) \(kind)") end;

# The chats of one document: a list_archives page or a get_chat answer.
def chats:
	if type != "object" then fail("not a LiveChat list_archives or get_chat answer")
	elif has("chats") then need("chats"; "array"; "list_archives")[]
	elif has("thread") then .
	else fail("not a LiveChat list_archives or get_chat answer: no chats, no thread")
	end;

# An event of the thread at $where as chat-import lines (none for what is
# not kept); $users by id, $customer the chat's.
def event($where; $users; $customer):
	need("id"; "string"; "\($where): event") as $id
	| "\($where): event \($id)" as $ev
	| need("type"; "string"; $ev) as $type
	| need("created_at"; "string"; $ev) as $at
	| if $type == "message" or $type == "file" then
		need("author_id"; "string"; $ev) as $aid
		| ($users[$aid] // {type: "agent", name: $aid}) as $who
		| (if $type == "message" then {text: need("text"; "string"; $ev)}
		   else {attachments: [{name, url: need("url"; "string"; $ev)}]}
		   end) as $body
		| if .visibility == "agents" then
			{type: "note", at: $at, name: $who.name,
			 text: ($body.text // "Attachment: \(.name // "file") <\(.url)>")}
		  elif $who.type == "customer" then
			$body + {at: $at, id: $id, author: "visitor", name: $who.name}
		  elif .properties.lc2.welcome_message then
			$body + {at: $at, id: $id, author: "bot", name: $who.name}
		  else
			$body + {at: $at, id: $id, author: "operator",
			    name: $who.name, operator: $who.name}
		  end
	  elif $type == "system_message" then
		need("system_message_type"; "string"; $ev) as $sm
		| (.text_vars // {}) as $v
		| if $sm == "manual_archived_agent" or $sm == "customer_banned" then
			{type: "close", by: "operator", at: $at, name: $v.agent}
		  elif $sm == "manual_archived_customer" then
			{type: "close", by: "visitor", at: $at,
			 name: ($v.customer // $customer.name)}
		  elif $sm == "archived_customer_disconnected" then
			{type: "visitor_left", at: $at},
			{type: "close", by: "system", at: $at}
		  elif ($sm | startswith("routing.archived_"))
		      or $sm == "system_archived" then
			{type: "close", by: "system", at: $at}
		  elif ($sm | startswith("routing.assigned_"))
		      and ($v.agent_added | type) == "string" then
			{type: "assign", at: $at, operator: $v.agent_added}
		  else empty end
	  else empty end;

# One archive entry (a chat with one of its threads) as chat-import lines.
def lines:
	need("id"; "string"; "chat") as $chat
	| (need("users"; "array"; "chat \($chat)")
	    | map({key: need("id"; "string"; "chat \($chat): user"), value: .})
	    | from_entries) as $users
	| need("thread"; "object"; "chat \($chat)") as $t
	| "chat \($chat): thread \($t | need("id"; "string"; "chat \($chat): thread"))"
	    as $where
	| if $t.restricted_access then
		fail("\($where): restricted access, no events (an export needs the chats--all:ro scope)")
	  else . end
	| ($t | need("created_at"; "string"; $where)) as $started
	| ($t | if has("events") then need("events"; "array"; $where) else [] end)
	    as $events
	| ([$users[] | select(.type == "customer")] | first // {}) as $customer
	| {conversation: "livechat:\($chat):\($t.id)", channel: "chat",
	   visitor: $customer.name, visitor_email: $customer.email} as $conv
	| [$events[] | event($where; $users; $customer)] as $history
	| ([$events[].created_at] | max // $started) as $last
	| ($history
	   + if ($t.active | not) and ($history | any(.type == "close") | not)
	     then [{type: "close", by: "system", at: $last}] else [] end
	   + if $t | has("tags") then
		[{type: "tags", at: $last,
		  tags: ($t | need("tags"; "array"; $where)
		    | if all(type == "string") then .
		      else fail("\($where): tags: not all strings") end)}]
	     else [] end)[]
	| $conv + .
	| with_entries(select(.value != null));

# Every line of the document first, so that a fault anywhere in it prints
# nothing of it.
[chats | lines] | .[]
