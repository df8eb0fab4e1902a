namespace ImcSharp.Config;

/// <summary>
/// Plug-in models of one sort registered by name: every non-abstract <typeparamref name="T"/> with
/// a parameterless constructor in this assembly, plus any a program registers itself. Names are
/// matched without regard to case.
/// </summary>
public sealed class Registry<T> where T : class
{
    readonly string _what;
    readonly Func<T, string> _name;
    readonly Action<T, IEnumerable<T>>? _check;
    readonly object _gate = new();
    Dictionary<string, T>? _byName;

    /// <param name="what">What the models are, for errors ("cell technology").</param>
    /// <param name="check">Refuses a model that cannot sit beside the others (called before it is added).</param>
    public Registry(string what, Func<T, string> name, Action<T, IEnumerable<T>>? check = null)
    {
        _what = what;
        _name = name;
        _check = check;
    }

    Dictionary<string, T> ByName
    {
        get
        {
            if (_byName is not null) return _byName;
            var d = new Dictionary<string, T>(StringComparer.OrdinalIgnoreCase);
            foreach (var t in typeof(Registry<T>).Assembly.GetTypes()
                         .Where(t => !t.IsAbstract && typeof(T).IsAssignableFrom(t)
                             && t.GetConstructor(Type.EmptyTypes) is not null)
                         .OrderBy(t => t.FullName, StringComparer.Ordinal))
                Add(d, (T)Activator.CreateInstance(t)!);
            return _byName = d;
        }
    }

    void Add(Dictionary<string, T> d, T item)
    {
        _check?.Invoke(item, d.Values);
        if (!d.TryAdd(_name(item), item)) throw new InvalidOperationException(
            $"two {_what} models named '{_name(item)}'");
    }

    /// <summary>Adds a model defined outside ImcSharp (its name must be new).</summary>
    public void Register(T item)
    {
        lock (_gate) Add(ByName, item);
    }

    /// <summary>The registered names, in ordinal order.</summary>
    public IReadOnlyList<string> Names { get { lock (_gate) return ByName.Keys.OrderBy(k => k, StringComparer.Ordinal)
        .ToList(); } }

    /// <summary>Every registered model, in the order of <see cref="Names"/>.</summary>
    public IReadOnlyList<T> Items { get { lock (_gate) return ByName.OrderBy(kv => kv.Key, StringComparer.Ordinal)
        .Select(kv => kv.Value).ToList(); } }

    /// <summary>The model named <paramref name="name"/> (any case), if registered.</summary>
    public bool TryGet(string name, out T item)
    {
        lock (_gate) return ByName.TryGetValue(name, out item!);
    }

    /// <summary>
    /// The model named <paramref name="name"/>, or one error naming <paramref name="setting"/> and the known names.
    /// </summary>
    public T Get(string name, string setting) => TryGet(name, out var item) ? item
        : throw new ImcInputException(setting, name, $"expected one of: {string.Join(", ", Names)}");
}
