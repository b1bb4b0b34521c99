/**
 * Chat templates: the Jinja programs GGUF files carry in {@code tokenizer.chat_template}, which
 * turn a conversation into the exact prompt text a model was trained on. Start at
 * {@link dev.inferj.chat.ChatTemplate}: {@code parse} once, {@code render} a list of
 * {@link dev.inferj.ChatMessage}s with {@link dev.inferj.chat.ChatTemplateOptions}.
 *
 * <p>The interpreter covers the Jinja that real chat templates use: text, <code>{{ }}</code>,
 * {@code {% %}}, {@code {# #}}, whitespace control, {@code if/elif/else}, {@code for} (with
 * {@code else}, an {@code if} filter, {@code break}, {@code continue} and {@code loop.*}),
 * {@code set} (also block {@code set} and {@code namespace} attributes), macros with defaults,
 * {@code varargs} and {@code kwargs}, {@code call}, {@code filter} and {@code raw} blocks, the
 * filters and tests in {@code Filters} and {@code Tests}, Python's string, dict and list methods,
 * and the globals {@code range}, {@code namespace}, {@code dict}, {@code raise_exception} and
 * {@code strftime_now}. Not supported: {@code include}, {@code extends}, {@code import}, recursive
 * loops, autoescaping.
 *
 * <p><b>Which semantics.</b> Templates are written for Python's Jinja2; the reference renderings
 * in {@code ../shared/chat/cases} come from Hugging Face's {@code @huggingface/jinja}, with
 * {@code trim_blocks} and {@code lstrip_blocks} on as Hugging Face sets them. Where the two differ
 * in what they print, we print what {@code @huggingface/jinja} prints: {@code true} renders as
 * "true", none and undefined as nothing, dicts and lists as JSON, {@code "x" ~ 2.0} is "x2",
 * {@code tojson} writes 2.0 as 2, {@code title} and {@code capitalize} leave the other letters
 * alone, an attribute of undefined is undefined, {@code ==} compares a string with a number or
 * boolean as JavaScript does ({@code "" == false}: templates that set a variable to either a
 * string or {@code false} depend on it), a dict is not {@code iterable}. Where it fails or is
 * plainly wrong and Jinja2 is not, we follow Jinja2: looping over undefined or a string, string
 * comparison, {@code str * n}, {@code strip(chars)} strips those characters, text before a
 * {@code break} is kept, the loop's {@code else} runs only for an empty loop, {@code select},
 * {@code reject}, {@code map} with a filter, {@code batch}, {@code round}, {@code list.append} and
 * more. Division by zero is an error.
 *
 * <p><b>Safety.</b> Templates come with model files, so they are treated as untrusted: a template
 * reaches no Java code but the interpreter's own; loops, macro calls, string and list sizes,
 * total work and nesting are bounded, and every failure is a
 * {@link dev.inferj.chat.ChatTemplateException} — with the template's own message when it called
 * {@code raise_exception}, else with the line and column at fault.
 */
package dev.inferj.chat;
