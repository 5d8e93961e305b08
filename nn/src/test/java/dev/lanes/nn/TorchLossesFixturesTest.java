package dev.lanes.nn;

import static dev.lanes.nn.TorchOpsFixturesTest.ATOL;
import static dev.lanes.nn.TorchOpsFixturesTest.RTOL;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lanes.nn.TorchOpsFixturesTest.Case;
import dev.lanes.nn.losses.BCELoss;
import dev.lanes.nn.losses.BCEWithLogitsLoss;
import dev.lanes.nn.losses.CrossEntropyLoss;
import dev.lanes.nn.losses.HuberLoss;
import dev.lanes.nn.losses.KLDivLoss;
import dev.lanes.nn.losses.L1Loss;
import dev.lanes.nn.losses.Loss;
import dev.lanes.nn.losses.MSELoss;
import dev.lanes.nn.losses.NLLLoss;
import dev.lanes.nn.losses.SmoothL1Loss;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The loss modules against PyTorch (CPU, float32), from {@code fixtures/nn/losses.txt}: every reduction PyTorch
 * has, the loss and its gradient with respect to the input for a random upstream gradient. Comparison rule
 * and helpers: {@link TorchOpsFixturesTest}. Unless stated otherwise the tolerance is 1e-5 relative + 1e-6
 * absolute: each loss sums at most 20 terms.
 */
class TorchLossesFixturesTest {
    private static final Fixtures LOSSES = TorchOpsFixturesTest.load("losses.txt");
    private static final List<String> REDUCTIONS = List.of("none", "mean", "sum");

    @AfterAll
    static void printErrors() {
        TorchOpsFixturesTest.printWorst("loss ");
    }

    static Reduction reduction(String name) {
        return switch (name) {
            case "none" -> Reduction.NONE;
            case "mean" -> Reduction.MEAN;
            case "sum" -> Reduction.SUM;
            case "batchmean" -> Reduction.BATCH_MEAN;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Runs case {@code name} with the loss built from the case's parameters; checks the loss and d loss / d input. */
    private static void check(String family, String name, Function<Case, Loss> loss, double rtol, double atol) {
        Case c = new Case(LOSSES, family, name);
        Loss l = loss.apply(c);
        Tensor x = c.in("x");
        Tensor y = l.forward(x, c.constant("target"));
        assertEquals(name.endsWith("_none"), y.dim() > 0, name + ": only reduction 'none' keeps dimensions");
        c.check(y, rtol, atol);
    }

    @Test
    void mseAndL1() {
        for (String red : REDUCTIONS) {
            check("loss mse", "mse_" + red, c -> new MSELoss(reduction(red)), RTOL, ATOL);
            check("loss l1", "l1_" + red, c -> new L1Loss(reduction(red)), RTOL, ATOL);
        }
    }

    /** Differences on both sides of beta (1 and 0.5) and delta (1 and 2). */
    @Test
    void smoothL1AndHuber() {
        for (String red : REDUCTIONS) {
            for (String b : List.of("b1", "b05")) {
                check("loss smoothl1", "smoothl1_" + b + "_" + red, c -> new SmoothL1Loss(reduction(red), c.param("beta")),
                        RTOL, ATOL);
            }
            for (String d : List.of("d1", "d2")) {
                check("loss huber", "huber_" + d + "_" + red, c -> new HuberLoss(reduction(red), c.param("delta")),
                        RTOL, ATOL);
            }
        }
    }

    /**
     * CrossEntropyLoss on (N, C) and (N, C, d1) logits: class indices, ignore_index (the default -100 and 3),
     * label smoothing (also combined with ignore_index), probability targets (also with smoothing).
     */
    @Test
    void crossEntropy() {
        for (String name : List.of("ce_idx", "ce_ignore", "ce_ignore3", "ce_ls", "ce_ls_ignore3", "ce_prob", "ce_prob_ls",
                "ce3_idx", "ce3_ignore_ls", "ce3_prob")) {
            for (String red : REDUCTIONS) {
                check("loss cross_entropy", name + "_" + red, c -> new CrossEntropyLoss(reduction(red),
                        (int) c.param("ignore_index"), c.param("label_smoothing")), RTOL, ATOL);
            }
        }
    }

    @Test
    void nll() {
        for (String name : List.of("nll", "nll_ignore2")) {
            for (String red : REDUCTIONS) {
                check("loss nll", name + "_" + red, c -> new NLLLoss(reduction(red), (int) c.param("ignore_index")),
                        RTOL, ATOL);
            }
        }
    }

    /**
     * BCELoss, with inputs of exactly 0 and 1 (PyTorch clamps each log at -100, so the loss is finite: 100 or
     * 70 there, and the gradient (x - y) / max(x (1 - x), 1e-12) is about +-1e12). Same tolerance: the
     * relative part covers the huge gradients, which PyTorch divides in float and Lanes in double.
     */
    @Test
    void binaryCrossEntropy() {
        for (String red : REDUCTIONS) {
            check("loss bce", "bce_" + red, c -> new BCELoss(reduction(red)), RTOL, ATOL);
        }
    }

    @Test
    void binaryCrossEntropyWithLogits() {
        Tensor posWeight = TorchOpsFixturesTest.tensor(LOSSES, "bcel.pos_weight");
        for (String red : REDUCTIONS) {
            check("loss bce_with_logits", "bcel_" + red, c -> new BCEWithLogitsLoss(reduction(red), null), RTOL, ATOL);
            check("loss bce_with_logits", "bcel_pw_" + red, c -> new BCEWithLogitsLoss(reduction(red), posWeight), RTOL, ATOL);
        }
    }

    /** KLDivLoss with probability targets (one exactly 0: its term is 0) and log-probability targets. */
    @Test
    void klDivergence() {
        for (String red : List.of("none", "mean", "sum", "batchmean")) {
            check("loss kl_div", "kl_" + red, c -> new KLDivLoss(reduction(red), false), RTOL, ATOL);
            check("loss kl_div", "kl_log_" + red, c -> new KLDivLoss(reduction(red), true), RTOL, ATOL);
        }
    }
}
