namespace ContextNets.Cli;

/// <summary>The "how to read" section of report.md.</summary>
internal static class AnalysisGuide
{
    public const string Text = """
        ## How to read this report

        GCNet (Cao et al. 2019) found that a trained non-local block gives nearly the same attention map to every
        query position: its context is global, not per-query, which a GC block computes for a fraction of the cost.
        The numbers below make that measurement on this model.

        - **Distances** are means over all pairs of positions i < j of one image, then over the images.
          The cosine distance is (1 - cos) / 2, from 0 (same direction) to 1; 0.5 is orthogonal.
          The Jensen-Shannon divergence (JSD, natural log) is from 0 (equal maps) to ln 2 = 0.693 (disjoint maps).
        - **attention cosine / attention JSD**: between the attention maps of two query positions.
          Near 0: every query looks at the same places, so the attention is query-independent.
        - **input cosine**: between the block's input features at two positions.
          **output cosine**: between its context y_i = sum_j f(x_i, x_j) g(x_j) at two positions (before W_z).
          If every query has the same map, every y_i is the same vector and the output distance falls to about 0
          while the input distance stays. An output distance far below the input distance is the sign of
          query-independent context.
        - **entropy / ln Np'**: how spread the maps are, 1 for uniform. Maps can also be alike because they are
          all uniform: an untrained block (its theta and phi start near 0) gives exactly that. Near-zero distances
          with an entropy well below 1 mean the block learned to look at one region for every query.
        - **Heat maps** (one PNG per block, one row per image): the first column is the image with the query points
          marked, each in its own colour (the centres of a regular grid of cells over the block's map). Each further
          column is one query's attention map, upsampled bilinearly to the image and blended over it in gray,
          coloured from dark purple (0) through green to yellow (the largest value in the row). A row shares one
          scale, so alike panels are alike maps. GC and SNL blocks have one map per image, shared by all queries,
          scaled to its own largest value.

        """;
}
