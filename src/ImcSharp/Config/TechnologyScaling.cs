namespace ImcSharp.Config;

/// <summary>
/// How a figure measured at one technology node scales to a design's node and supply, the one
/// rule every cost figure uses: switching energy of digital gates and comparators (C V^2, C with
/// the node) d = (node / node_ref)(V / 0.9 V)^2; area of digital gates and comparators
/// s = (node / node_ref)^2. Matching-limited capacitors do not scale.
/// </summary>
public static class TechnologyScaling
{
    /// <summary>Energy scale d from a figure at <paramref name="referenceNm"/> and 0.9 V.</summary>
    public static double Energy(double nodeNm, double supply, double referenceNm) =>
        nodeNm / referenceNm * (supply / 0.9) * (supply / 0.9);

    /// <summary>Area scale s from a figure at <paramref name="referenceNm"/>.</summary>
    public static double Area(double nodeNm, double referenceNm) => nodeNm / referenceNm * (nodeNm / referenceNm);
}
