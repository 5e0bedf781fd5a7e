using System.Collections;
using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.Azure.Functions.Worker;

namespace PayConnect.DevHost.Functions;

/// <summary>
/// The FunctionContext the dev host hands to functions that ask for one: their services, their definition,
/// and for HTTP functions the HttpContext where <c>GetHttpContext()</c> looks for it.
/// </summary>
internal sealed class DevHostFunctionContext : FunctionContext
{
    // The key under which the ASP.NET Core integration stores the HttpContext (FunctionContext.GetHttpContext()).
    private const string HttpContextKey = "HttpRequestContext";

    private readonly CancellationToken _cancellationToken;

    public DevHostFunctionContext(HostedFunction function, string invocationId, IServiceProvider services, HttpContext? http, CancellationToken cancellationToken)
    {
        InvocationId = invocationId;
        FunctionId = function.Name;
        InstanceServices = services;
        FunctionDefinition = new Definition(function);
        _cancellationToken = cancellationToken;
        var data = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        if (http is not null)
        {
            Items[HttpContextKey] = http;
            foreach (var (name, value) in http.Request.Query)
            {
                data[name] = value.ToString();
            }

            foreach (var (name, value) in http.Request.RouteValues)
            {
                data[name] = value;
            }
        }

        BindingContext = new Binding(data);
    }

    public override string InvocationId { get; }

    public override string FunctionId { get; }

    public override TraceContext TraceContext { get; } = new Trace(Activity.Current);

    public override BindingContext BindingContext { get; }

    public override RetryContext RetryContext { get; } = new NoRetries();

    public override IServiceProvider InstanceServices { get; set; }

    public override FunctionDefinition FunctionDefinition { get; }

    public override IDictionary<object, object> Items { get; set; } = new Dictionary<object, object>();

    public override IInvocationFeatures Features { get; } = new InvocationFeatures();

    public override CancellationToken CancellationToken => _cancellationToken;

    private sealed class Definition(HostedFunction function) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters { get; } = [];

        public override string PathToAssembly { get; } = Path.Combine(AppContext.BaseDirectory, function.ScriptFile);

        public override string EntryPoint => function.EntryPoint;

        public override string Id => function.Name;

        public override string Name => function.Name;

        public override IImmutableDictionary<string, BindingMetadata> InputBindings { get; } = Bindings(function, "In");

        public override IImmutableDictionary<string, BindingMetadata> OutputBindings { get; } = Bindings(function, "Out");

        private static IImmutableDictionary<string, BindingMetadata> Bindings(HostedFunction function, string direction) =>
            function.Bindings
                .Where(b => string.Equals(b.Direction, direction, StringComparison.OrdinalIgnoreCase))
                .ToImmutableDictionary(b => b.Name, b => (BindingMetadata)new Metadata(b));
    }

    private sealed class Metadata(FunctionBindingInfo binding) : BindingMetadata
    {
        public override string Name => binding.Name;

        public override string Type => binding.Type;

        public override BindingDirection Direction =>
            string.Equals(binding.Direction, "Out", StringComparison.OrdinalIgnoreCase) ? BindingDirection.Out : BindingDirection.In;
    }

    private sealed class Binding(IReadOnlyDictionary<string, object?> data) : BindingContext
    {
        public override IReadOnlyDictionary<string, object?> BindingData => data;
    }

    private sealed class Trace(Activity? activity) : TraceContext
    {
        public override string TraceParent { get; } = activity?.Id ?? "";

        public override string TraceState { get; } = activity?.TraceStateString ?? "";
    }

    private sealed class NoRetries : RetryContext
    {
        public override int RetryCount => 0;

        public override int MaxRetryCount => 0;
    }

    private sealed class InvocationFeatures : IInvocationFeatures
    {
        private readonly Dictionary<Type, object> _features = [];

        public T? Get<T>() => _features.TryGetValue(typeof(T), out var feature) ? (T)feature : default;

        public void Set<T>(T instance)
        {
            if (instance is null)
            {
                _features.Remove(typeof(T));
            }
            else
            {
                _features[typeof(T)] = instance;
            }
        }

        public IEnumerator<KeyValuePair<Type, object>> GetEnumerator() => _features.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
