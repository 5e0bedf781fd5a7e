using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using PayConnect.Functions.Http;
using PayConnect.Notifications;

namespace PayConnect.Functions.Notifications;

/// <summary>
/// The unsubscribe link of every notification email. Anonymous (excluded from App Service Authentication, like health):
/// the signed token in the link is the only authority, and it can stop one notification type for one address or payer.
/// Opening the link only asks; the button on the page (a POST, as RFC 8058 one-click clients send too) unsubscribes, so a
/// mail scanner that follows links changes nothing.
/// </summary>
public sealed class UnsubscribeFunctions(UnsubscribeHandler unsubscribe)
{
    /// <summary>Shows what the unsubscribe link stops and a button to confirm.</summary>
    [Function("ShowUnsubscribe")]
    [ApiOperation(Anonymous = true, Html = true, AlsoStatuses = [400])]
    public IResult Show([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = NotificationLinks.UnsubscribeRoute)] HttpRequest request)
    {
        var token = request.Query["token"].ToString();
        var outcome = unsubscribe.Describe(token);
        return outcome.Valid
            ? Page(200, "Unsubscribe", outcome.Message,
                $"<form method=\"post\" action=\"?token={WebUtility.HtmlEncode(Uri.EscapeDataString(token))}\"><button type=\"submit\">Unsubscribe</button></form>")
            : Page(400, "Unsubscribe", outcome.Message, string.Empty);
    }

    /// <summary>Unsubscribes the link's address or payer from the link's notification type.</summary>
    [Function("Unsubscribe")]
    [ApiOperation(Anonymous = true, Html = true, AlsoStatuses = [400])]
    public async Task<IResult> Apply([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = NotificationLinks.UnsubscribeRoute)] HttpRequest request, CancellationToken ct)
    {
        var outcome = await unsubscribe.ApplyAsync(request.Query["token"].ToString(), ct);
        return Page(outcome.Valid ? 200 : 400, "Unsubscribe", outcome.Message, string.Empty);
    }

    private static IResult Page(int status, string title, string message, string form) =>
        Results.Content(
            $"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{WebUtility.HtmlEncode(title)}</title></head><body>\n<p>{WebUtility.HtmlEncode(message)}</p>\n{form}\n</body></html>\n",
            "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
}
