using FluentValidation;
using NodaTime;
using PayConnect.Api;
using PayConnect.Api.Validation;
using PayConnect.Connect;
using PayConnect.Notifications;

namespace PayConnect.Firms;

/// <summary>Notifications a staff address can subscribe to.</summary>
public enum NotificationType
{
    /// <summary>An Auto-Pay run failed for good (declined, or could not complete).</summary>
    ErrorFailedAutoPay,

    /// <summary>An Auto-Pay run is above its approval ceiling and waits for a person to approve or decline it.</summary>
    AwaitingApproval,

    /// <summary>The payer's card issuer disputes an Auto-Pay charge (a chargeback).</summary>
    PaymentDisputed,

    /// <summary>The payer's bank returned an Auto-Pay ACH debit (NACHA R-code).</summary>
    PaymentReturned,

    /// <summary>A copy of each Auto-Pay payment receipt (with its surcharge line).</summary>
    PaymentReceipt,

    /// <summary>An Auto-Pay's one-year authorization ends in 30 days: re-authorize it with the payer to keep it running.</summary>
    ScheduleExpiring,

    /// <summary>A daily digest of the firm's runs charged, failed and waiting for approval.</summary>
    RunSummary,
}

/// <summary>Subscribes a staff address to notifications.</summary>
/// <param name="Email">A plain address such as oncall@firm.example (no display name, brackets or quotes).</param>
/// <param name="DisplayName">The name shown with the address in the email.</param>
/// <param name="Types">The notifications to receive; ErrorFailedAutoPay when left out.</param>
public sealed record CreateSubscriptionRequest(string Email, string? DisplayName = null, IReadOnlyList<NotificationType>? Types = null) : IExample<CreateSubscriptionRequest>
{
    public const int MaxTypes = 5;

    public static CreateSubscriptionRequest Example => new("oncall@smith-jones.example", "On-call", [NotificationType.ErrorFailedAutoPay]);
}

public sealed class CreateSubscriptionRequestValidator : RequestValidator<CreateSubscriptionRequest>
{
    public CreateSubscriptionRequestValidator()
    {
        RuleFor(x => x.Email).Text(EmailAddresses.MaxLength).PlainEmail();
        RuleFor(x => x.DisplayName).Text(100).NoCardNumber();
        RuleFor(x => x.Types).Items(1, CreateSubscriptionRequest.MaxTypes);
    }
}

/// <summary>A staff address and the notifications it receives.</summary>
/// <param name="Email">The address (its lower-case form is its key).</param>
/// <param name="DisplayName">The name shown with the address.</param>
/// <param name="Types">The notifications it receives.</param>
/// <param name="CreatedAt">When it subscribed.</param>
public sealed record SubscriptionResponse(string Email, string? DisplayName, IReadOnlyList<NotificationType> Types, Instant CreatedAt) : IExample<SubscriptionResponse>
{
    public static SubscriptionResponse Example => new("oncall@smith-jones.example", "On-call", [NotificationType.ErrorFailedAutoPay], Instant.FromUtc(2026, 3, 2, 15, 0));

    // Types the API no longer offers are left out rather than failing the whole listing.
    public static SubscriptionResponse From(NotificationSubscription s) =>
        new(s.Email, s.DisplayName, s.Types.Select(t => Enum.TryParse<NotificationType>(t, out var type) ? (NotificationType?)type : null).OfType<NotificationType>().ToList(), s.CreatedAt);
}
