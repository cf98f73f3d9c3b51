namespace LockService.Testing;

/// <summary>A silo's position in a <see cref="SiloProcessGroup"/>: its ports and placement stay, its process may be replaced.</summary>
public sealed class SiloSlot(int index, int siloPort, int gatewayPort, SiloPlacement placement, IReadOnlyList<string> extraArguments)
{
    public int Index { get; } = index;

    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    public SiloPlacement Placement { get; } = placement;

    public string Gateway => $"{Placement.Address}:{GatewayPort}";

    /// <summary>Arguments the slot's silo starts with, unless a restart gives others.</summary>
    public IReadOnlyList<string> ExtraArguments { get; } = extraArguments;

    /// <summary>The running (or last) process of the slot; null until started.</summary>
    public SiloProcess? Process { get; internal set; }
}
