/** The unsubscribe page a recipient sees: confirm (one POST button), done, or an invalid link. Self-contained HTML. */
import Mustache from "mustache";

export type UnsubscribePageState = "confirm" | "done" | "invalid";

// Rendered with Mustache's default escaping, so every interpolated value ({{…}}, never {{{…}}}) is HTML-escaped.
// no-referrer: the token is in the page's URL and must not travel to anything the page links to.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#f5f5f4;color:#1c1917;line-height:1.5}
main{max-width:32rem;margin:12vh auto;padding:2rem;background:#fff;border:1px solid #d6d3d1;border-radius:8px}
h1{font-size:1.5rem;margin:0 0 1rem}
button{font:inherit;font-weight:600;padding:.75rem 1.5rem;border:0;border-radius:6px;background:#1d4ed8;color:#fff;cursor:pointer}
button:hover{background:#1e40af}
button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
</style>
</head>
<body>
<main>
<h1>{{title}}</h1>
<p>{{message}}</p>
{{#actionPath}}
<form method="post" action="{{actionPath}}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>
{{/actionPath}}
</main>
</body>
</html>
`;

/** "john.smith@example.com" → "j***@example.com": enough for the owner to recognise, little for anyone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf("@");
  if (at <= 0) return "your address";
  return `${email[0]}***${email.slice(at)}`;
}

export function unsubscribePage(input: { state: UnsubscribePageState; email?: string; actionPath?: string }): string {
  const address = input.email ? maskEmail(input.email.trim()) : "this address";
  const subject = input.email ? `The address ${address}` : "This address";
  switch (input.state) {
    case "confirm":
      // RFC 8058: a GET (this page) never unsubscribes; only the form's POST does.
      if (!input.actionPath) throw new Error("unsubscribePage: the confirm page needs the actionPath its form posts to");
      return Mustache.render(PAGE, {
        title: "Unsubscribe from our emails?",
        message: `Press the button to stop all further emails to ${address}.`,
        actionPath: input.actionPath,
      });
    case "done":
      return Mustache.render(PAGE, {
        title: "You are unsubscribed",
        message: `${subject} is unsubscribed and will receive no more emails from us.`,
      });
    case "invalid":
      return Mustache.render(PAGE, {
        title: "This link is not valid",
        message: "This unsubscribe link is incomplete or has been changed. Use the link from the email exactly as it is, or reply to the email and ask us to stop.",
      });
  }
}
