normalCopula <- function(param, dim = 2, dispstr = "ex") list(param = param)
mvdc <- function(copula, margins, paramMargins) {
  stopifnot(all(margins == "unif"))
  list(list(margins = margins, par = paramMargins))
}
rMvdc <- function(n, mvdc) {
  cbind(runif(n, mvdc$par[[1]]$min, mvdc$par[[1]]$max),
        runif(n, mvdc$par[[2]]$min, mvdc$par[[2]]$max))
}
