using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PayConnect.Infrastructure.Email;
using PayConnect.Infrastructure.Messaging;
using PayConnect.Infrastructure.Payments;
using PayConnect.Payments;

namespace PayConnect.Infrastructure.Configuration;

/// <summary>
/// The one way PayConnect reads settings: each settings group is an options class bound to its configuration
/// section, checked by data annotations (and an <see cref="IValidateOptions{TOptions}"/> where a rule needs more),
/// and validated when the host starts. In Azure the app settings arrive as environment variables, which .NET
/// configuration turns from <c>Storage__TableServiceUri</c> into the key <c>Storage:TableServiceUri</c>; binding the
/// section <c>Storage</c> reads it, whereas looking up the flat name would read nothing.
/// </summary>
public static class SettingsBinding
{
    /// <summary>Every options class that app settings bind to, with its section (empty for top-level names such as AZURE_CLIENT_ID).</summary>
    public static IReadOnlyList<(Type Options, string Section)> Groups { get; } =
    [
        (typeof(AzureOptions), AzureOptions.SectionName),
        (typeof(StorageOptions), StorageOptions.SectionName),
        (typeof(ServiceBusOptions), ServiceBusOptions.SectionName),
        (typeof(RunDrainOptions), RunDrainOptions.SectionName),
        (typeof(Runs.RunsOptions), Runs.RunsOptions.SectionName),
        (typeof(AuthOptions), AuthOptions.SectionName),
        (typeof(GatewayOptions), GatewayOptions.SectionName),
        (typeof(DeclineOptions), DeclineOptions.SectionName),
        (typeof(EmailOptions), EmailOptions.SectionName),
        (typeof(Notifications.NotificationsOptions), Notifications.NotificationsOptions.SectionName),
    ];

    /// <summary>
    /// Binds <typeparamref name="T"/> from its section of <paramref name="configuration"/> without validating it, for
    /// tools that must read a setting before the host exists (the dev host deciding which emulators to start).
    /// </summary>
    /// <exception cref="InvalidOperationException">A value cannot be converted, or a key names no property.</exception>
    public static T Read<T>(IConfiguration configuration)
        where T : class, new()
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = SectionOf<T>();
        var options = new T();
        (section.Length == 0 ? configuration : configuration.GetSection(section))
            .Bind(options, binder => binder.ErrorOnUnknownConfiguration = section.Length > 0);
        return options;
    }

    /// <summary>
    /// Binds <typeparamref name="T"/> to its section (<see cref="Groups"/>), validates its data annotations and
    /// validates it at start. Keys in the section that match no property fail too, so a misspelt setting is found
    /// at start rather than silently ignored.
    /// </summary>
    public static OptionsBuilder<T> AddSettings<T>(this IServiceCollection services)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        var section = SectionOf<T>();
        return services.AddOptions<T>()
            .BindConfiguration(section, binder => binder.ErrorOnUnknownConfiguration = section.Length > 0)
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    private static string SectionOf<T>() =>
        Groups.Where(g => g.Options == typeof(T)).Select(g => g.Section).FirstOrDefault()
            ?? throw new InvalidOperationException($"{typeof(T).Name} is not one of the settings groups in {nameof(SettingsBinding)}.{nameof(Groups)}.");

    /// <summary>Adds a rule that lists every problem of the options at once (an empty list means valid).</summary>
    public static OptionsBuilder<T> ValidateProblems<T>(this OptionsBuilder<T> builder, Func<T, IEnumerable<string>> problems)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IValidateOptions<T>>(new ProblemsValidator<T>(problems));
        return builder;
    }

    private sealed class ProblemsValidator<T>(Func<T, IEnumerable<string>> problems) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var found = problems(options).ToList();
            return found.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(found);
        }
    }
}
