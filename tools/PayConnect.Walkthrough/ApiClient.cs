using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PayConnect.Walkthrough;

/// <summary>One HTTP exchange as the walkthrough saw it.</summary>
public sealed record ApiResponse(string Method, string Path, int Status, string Body)
{
    public JsonNode? Json { get; } = TryParse(Body);

    /// <summary>The JSON body; throws a <see cref="WalkthroughException"/> naming the request when there is none.</summary>
    public JsonNode Node => Json ?? throw new WalkthroughException($"{Method} {Path} answered {Status} without a JSON body: {Body}");

    public override string ToString() => $"{Method} {Path} -> {Status} {Body}";

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return body.Length == 0 ? null : JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>An unexpected answer or state: the walkthrough stops and says what it expected.</summary>
public sealed class WalkthroughException(string message) : Exception(message);

/// <summary>A thin JSON client over the HTTP API that checks each status it expects.</summary>
public sealed class ApiClient(HttpClient http)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResponse> GetAsync(string path, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, null, ct);

    public Task<ApiResponse> PostAsync(string path, object? body, string? idempotencyKey, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, path, body, idempotencyKey, ct);

    public Task<ApiResponse> PutAsync(string path, object? body, CancellationToken ct) => SendAsync(HttpMethod.Put, path, body, null, ct);

    public static ApiResponse Expect(ApiResponse response, params int[] statuses) =>
        statuses.Contains(response.Status)
            ? response
            : throw new WalkthroughException($"{response.Method} {response.Path}: expected {string.Join(" or ", statuses)}, got {response.Status}: {Shorten(response.Body)}");

    public static string Serialize(object? body) => body is null ? "" : JsonSerializer.Serialize(body, Json);

    private async Task<ApiResponse> SendAsync(HttpMethod method, string path, object? body, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
        {
            request.Content = new StringContent(Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException ex)
        {
            throw new WalkthroughException(
                $"{method} {http.BaseAddress}{path.TrimStart('/')} failed: {ex.Message}. Is the dev host running? Start it with: bash tools/run-local.sh");
        }

        using (response)
        {
            return new ApiResponse(method.Method, path, (int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
    }

    private static string Shorten(string text) => text.Length <= 600 ? text : text[..600] + " ...";
}
