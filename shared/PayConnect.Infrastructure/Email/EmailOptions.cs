using System.ComponentModel.DataAnnotations;
using PayConnect.Infrastructure.Configuration;
using PayConnect.Infrastructure.Email.Acs;
using PayConnect.Infrastructure.Email.Sink;
using PayConnect.Infrastructure.Email.Smtp;

namespace PayConnect.Infrastructure.Email;

/// <summary>
/// Email settings (section <c>Email</c>): the transport, its connection details, the sender, and the portal link
/// the notifications carry. Each transport's own options (<see cref="AcsEmailOptions"/>, <see cref="SmtpEmailOptions"/>,
/// <see cref="SinkEmailOptions"/>) are built from these; only the chosen transport's are checked.
/// </summary>
public sealed class EmailOptions
{
    public const string SectionName = "Email";

    /// <summary><c>Email__Transport</c>: Acs, Smtp or Sink.</summary>
    [Required(ErrorMessage = AppSettings.EmailTransport + " must be Acs, Smtp or Sink; it is not set.")]
    [EnumDataType(typeof(EmailTransport), ErrorMessage = AppSettings.EmailTransport + " must be Acs, Smtp or Sink.")]
    public EmailTransport? Transport { get; set; }

    /// <summary><c>Email__SenderAddress</c>.</summary>
    public string? SenderAddress { get; set; }

    /// <summary><c>Email__AcsEndpoint</c>.</summary>
    public string? AcsEndpoint { get; set; }

    /// <summary><c>Email__AcsAccessKey</c>. Never logged.</summary>
    public string? AcsAccessKey { get; set; }

    /// <summary><c>Email__SmtpHost</c>.</summary>
    public string? SmtpHost { get; set; }

    /// <summary><c>Email__SmtpPort</c>; 587 when unset.</summary>
    public int? SmtpPort { get; set; }

    /// <summary><c>Email__SmtpUser</c>; anonymous relay when unset.</summary>
    public string? SmtpUser { get; set; }

    /// <summary><c>Email__SmtpPassword</c>. Never logged.</summary>
    public string? SmtpPassword { get; set; }

    /// <summary><c>Email__SinkDirectory</c>.</summary>
    public string? SinkDirectory { get; set; }

    /// <summary><c>Email__PortalBaseUrl</c>: base of the links in emails; http://localhost:7071 when unset.</summary>
    public string? PortalBaseUrl { get; set; }

    /// <summary>Copies the ACS settings onto <paramref name="target"/> (its tuning knobs keep their values).</summary>
    public void ApplyTo(AcsEmailOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Endpoint = Uri.TryCreate(Blank(AcsEndpoint), UriKind.Absolute, out var endpoint) ? endpoint : null;
        target.AccessKey = Blank(AcsAccessKey) ?? string.Empty;
        target.SenderAddress = Blank(SenderAddress) ?? string.Empty;
    }

    public void ApplyTo(SmtpEmailOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Host = Blank(SmtpHost) ?? string.Empty;
        target.Port = SmtpPort ?? 587;
        target.User = Blank(SmtpUser);
        target.Password = Blank(SmtpPassword);
        target.SenderAddress = Blank(SenderAddress) ?? string.Empty;
    }

    public void ApplyTo(SinkEmailOptions target)
    {
        ArgumentNullException.ThrowIfNull(target);
        target.Directory = Blank(SinkDirectory) ?? string.Empty;
        target.SenderAddress = Blank(SenderAddress) ?? string.Empty;
    }

    /// <summary>The portal base URL for links in emails, or null when unset.</summary>
    public Uri? PortalBaseUri() =>
        Uri.TryCreate(Blank(PortalBaseUrl), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? uri
            : null;

    /// <summary>Problems of the chosen transport's settings and of the portal link; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        IReadOnlyList<string> transportProblems = Transport switch
        {
            EmailTransport.Acs => Built<AcsEmailOptions>(ApplyTo).Validate(),
            EmailTransport.Smtp => Built<SmtpEmailOptions>(ApplyTo).Validate(),
            EmailTransport.Sink => Built<SinkEmailOptions>(ApplyTo).Validate(),
            _ => [],
        };
        foreach (var problem in transportProblems)
        {
            yield return problem;
        }

        if (Blank(PortalBaseUrl) is not null && PortalBaseUri() is null)
        {
            yield return $"{AppSettings.EmailPortalBaseUrl} must be an absolute http(s) URL.";
        }
    }

    private static T Built<T>(Action<T> apply)
        where T : new()
    {
        var options = new T();
        apply(options);
        return options;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
